"""Customers (REST API): a first version, then 0-2 changes of one tracked attribute each, on later days; a few
delivered a day late, some with messy emails and countries that silver normalises."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retailflow.local.raw.common import (
    CITIES,
    COUNTRIES,
    RATES,
    SEGMENTS,
    TIERS,
    Customers,
    World,
    group_positions,
    ids,
    iso,
    json_lines,
)


def generate(world: World) -> None:
    rng, days, settings = world.rng, world.days, world.settings
    n_customers = max(50, world.n_orders // 4)
    customer_ids = ids("C", np.arange(n_customers), 7)
    signup_day = rng.integers(0, days, n_customers) * (rng.random(n_customers) < 0.3)
    n_changes = rng.choice([0, 0, 0, 1, 1, 2], size=n_customers)
    versions = 1 + n_changes
    owner = np.repeat(np.arange(n_customers), versions)
    k = group_positions(versions)
    step = np.where(k == 0, 0, 1 + rng.integers(0, 2, len(owner)))
    version_day = signup_day[owner] + (
        np.cumsum(step) - np.repeat(np.cumsum(step)[np.cumsum(versions) - versions], versions)
    )
    keep = version_day <= days - 1
    owner, k, version_day = owner[keep], k[keep], version_day[keep]
    field = np.where(k == 0, -1, rng.integers(0, 4, len(owner)))

    def changes_of(which: int) -> np.ndarray:
        hits = (field == which).astype(np.int64)
        totals = np.cumsum(hits)
        firsts = np.flatnonzero(k == 0)
        return totals - np.repeat(totals[firsts] - hits[firsts], np.diff(np.append(firsts, len(k))))

    city = (rng.integers(0, len(CITIES), n_customers)[owner] + changes_of(0)) % len(CITIES)
    segment = (rng.integers(0, len(SEGMENTS), n_customers)[owner] + changes_of(1)) % len(SEGMENTS)
    tier = (rng.integers(0, len(TIERS), n_customers)[owner] + changes_of(2)) % len(TIERS)
    email_version = changes_of(3)
    late = (rng.random(n_customers) < RATES["late_customer"]) & (signup_day < days - 1)
    delivery_day = np.where((k == 0) & late[owner], version_day + 1, version_day)
    counts = world.counts("customers")
    counts["customers"] = n_customers
    counts["tracked_changes"] = int((k > 0).sum())
    counts["late_customers"] = int(late.sum())
    email = np.char.add(
        np.char.lower(customer_ids[owner]), np.where(email_version > 0, np.char.add(".", email_version.astype(str)), "")
    )
    email = np.char.add(email, "@mail.example")
    messy = owner % 7 == 0  # delivered in upper case with leading spaces: silver normalises it
    table = pa.table(
        {
            "row_id": np.arange(len(owner)),
            "customer_id": customer_ids[owner],
            "email": np.where(messy, np.char.add("  ", np.char.upper(email)), email),
            "first_name": np.char.add("name", (owner % 97).astype(str)),
            "last_name": np.char.add("family", (owner % 89).astype(str)),
            "city": np.array(CITIES)[city],
            "country": np.where(owner % 5 == 0, np.char.lower(np.array(COUNTRIES)[city]), np.array(COUNTRIES)[city]),
            "segment": np.array(SEGMENTS)[segment],
            "loyalty_tier": np.array(TIERS)[tier],
            "signup_date": np.datetime_as_string(
                np.datetime64(settings.start_date) + signup_day[owner].astype("timedelta64[D]")
            ),
            "updated_at": iso(world.start, version_day * 86400 + 3600 + k * 60 + owner % 3000),
        }
    )
    world.files.add("customers", delivery_day, json_lines(world.con, table))
    counts["records"] = len(owner)
    world.customers = Customers(customer_ids, signup_day)
