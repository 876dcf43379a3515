"""Customers (REST API): the customers created on a day (the whole base on the first day) send a first version,
then 0-2 changes of one tracked attribute each on later days. Some first versions arrive a day late, some first
changes arrive after the second (older than the current version), and some emails and countries are messy (silver
normalises them)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from retailflow.local.raw.common import (
    CITIES,
    COUNTRIES,
    RATES,
    SEGMENTS,
    TIERS,
    Day,
    Stream,
    blocks,
    customer_ids,
    group_positions,
    iso,
    json_lines,
    pick,
)


def generate(day: Day) -> Iterator[list[str]]:
    settings = day.settings
    first = settings.first_customer(day.day)
    for block, offset, size in blocks(settings.first_customer(day.day + 1) - first):
        lines = _block(day, settings.rng(day.day, Stream.CUSTOMERS, block), first + offset, size)
        if not day.replay:
            yield lines
    if not day.replay:
        yield from day.arrived("customers")


def _block(day: Day, rng: np.random.Generator, first: int, n: int) -> list[str]:
    """`n` customers created today from global number `first`: their versions delivered today; the later ones
    handed to `day.later`."""
    settings = day.settings
    number = first + np.arange(n)
    n_changes = rng.choice([0, 0, 0, 1, 1, 2], size=n)
    versions = 1 + n_changes
    owner = np.repeat(np.arange(n), versions)
    k = group_positions(versions)
    step = np.where(k == 0, 0, 1 + rng.integers(0, 2, len(owner)))
    version_day = day.day + (np.cumsum(step) - np.repeat(np.cumsum(step)[np.cumsum(versions) - versions], versions))
    field = np.where(k == 0, -1, rng.integers(0, 4, len(owner)))

    def changes_of(which: int) -> np.ndarray:
        hits = (field == which).astype(np.int64)
        totals = np.cumsum(hits)
        firsts = np.flatnonzero(k == 0)
        return totals - np.repeat(totals[firsts] - hits[firsts], np.diff(np.append(firsts, len(k))))

    city = (rng.integers(0, len(CITIES), n)[owner] + changes_of(0)) % len(CITIES)
    segment = (rng.integers(0, len(SEGMENTS), n)[owner] + changes_of(1)) % len(SEGMENTS)
    tier = (rng.integers(0, len(TIERS), n)[owner] + changes_of(2)) % len(TIERS)
    email_version = changes_of(3)
    late = pick(rng, np.ones(n, dtype=bool), RATES["late_customer"])
    older = pick(rng, n_changes == 2, RATES["older_change"])
    # A late first version arrives the next day; an older change arrives the day after the change that followed it.
    delivery_day = version_day + ((k == 0) & late[owner])
    second_change_day = np.repeat(np.where(n_changes == 2, version_day[np.cumsum(versions) - 1], 0), versions)
    delivery_day = np.where((k == 1) & older[owner], second_change_day + 1, delivery_day)
    owner_number = number[owner]
    email = np.char.add(
        np.char.lower(customer_ids(owner_number)),
        np.where(email_version > 0, np.char.add(".", email_version.astype(str)), ""),
    )
    email = np.char.add(email, "@mail.example")
    messy = owner_number % 7 == 0  # delivered in upper case with leading spaces
    table = pa.table(
        {
            "row_id": np.arange(len(owner)),
            "customer_id": customer_ids(owner_number),
            "email": np.where(messy, np.char.add("  ", np.char.upper(email)), email),
            "first_name": np.char.add("name", (owner_number % 97).astype(str)),
            "last_name": np.char.add("family", (owner_number % 89).astype(str)),
            "city": np.array(CITIES)[city],
            "country": np.where(
                owner_number % 5 == 0, np.char.lower(np.array(COUNTRIES)[city]), np.array(COUNTRIES)[city]
            ),
            "segment": np.array(SEGMENTS)[segment],
            "loyalty_tier": np.array(TIERS)[tier],
            "signup_date": np.full(len(owner), settings.date(day.day).isoformat()),
            "updated_at": iso(day.start, version_day * 86400 + 3600 + k * 60 + owner_number % 3000),
        }
    )
    lines = json_lines(day.con, table)
    now = delivery_day == day.day
    for delayed, counters in (
        ((k == 0) & late[owner], ("records", "customers", "late_customers")),
        ((k == 1) & older[owner], ("records", "tracked_changes", "older_changes")),
        ((k > 0) & ~((k == 1) & older[owner]), ("records", "tracked_changes")),
    ):
        rows = np.flatnonzero(delayed & ~now)
        day.later.add_lines("customers", delivery_day[rows], [lines[i] for i in rows], *counters)
    if day.replay:
        return []
    today = np.flatnonzero(now)
    day.counts("customers").update(
        records=len(today), customers=int((k[today] == 0).sum()), tracked_changes=int((k[today] > 0).sum())
    )
    return [lines[i] for i in today]
