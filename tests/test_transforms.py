"""Every silver and gold transform on small hand-built input, with exact expected output."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from retailflow.workloads.retail import gold, silver
from retailflow.workloads.retail.sources import (
    CLICKSTREAM,
    CUSTOMERS,
    INVENTORY,
    ORDERS,
    PAYMENTS,
    PRODUCTS,
    STORE_SALES,
)
from retailflow.workloads.runtime.latest import Versions, upsert_latest

T0 = dt.datetime(2026, 1, 1)
D = Decimal


def bronze(spark, spec, rows: list[dict]):
    """Bronze rows of a source: its fields plus the audit columns the transforms use for tie-breaks."""
    names = spec.schema.fieldNames()
    data = [tuple(r.get(n) for n in names) + (T0 + dt.timedelta(seconds=i), f"f{i}") for i, r in enumerate(rows)]
    schema = StructType(list(spec.schema.fields)).add("_ingestion_ts", "timestamp").add("_source_file", "string")
    return spark.createDataFrame(data, schema)


def item(sku, quantity, price):
    return {"sku": sku, "quantity": quantity, "unit_price": price}


def order(order_id, status, updated, items, customer="C1", ts="2026-01-02T23:30:00+01:00"):
    return {
        "order_id": order_id,
        "status": status,
        "order_ts": ts,
        "updated_at": updated,
        "currency": "eur",
        "customer": {"customer_id": customer, "email": "x@y.z"},
        "items": [item(*i) for i in items],
    }


@pytest.fixture(scope="module")
def spark(engine):
    return engine.spark


@pytest.fixture(scope="module")
def orders_bronze(spark):
    return bronze(
        spark,
        ORDERS,
        [
            order("O1", "paid", "2026-01-02T23:40:00+01:00", [("sku-1", 2, 1.10), ("SKU-2", 1, 3.335)]),
            order("O1", " Shipped ", "2026-01-03T08:00:00+01:00", [("sku-1", 2, 1.10), ("SKU-2", 1, 3.335)]),
            order("O1", "created", "2026-01-02T23:31:00+01:00", [("sku-1", 2, 1.10)]),  # older, arrives last
            order(
                "O2",
                "cancelled",
                "2026-01-04T10:00:00+00:00",
                [("SKU-3", 1, 9.99)],
                customer="C2",
                ts="2026-01-04T09:00:00+00:00",
            ),
        ],
    )


def test_silver_orders_latest_version_utc_money(orders_bronze):
    """Rules: Latest version; Normalisation; Orders and revenue (item_count). (docs/semantics.md)"""
    orders = silver.orders(orders_bronze)
    items = {r["order_id"]: [tuple(i) for i in r["items"]] for r in orders.select("order_id", "items").collect()}
    assert items == {"O1": [("sku-1", 2, 1.10), ("SKU-2", 1, 3.335)], "O2": [("SKU-3", 1, 9.99)]}
    rows = sorted(orders.drop("items").collect())
    assert [tuple(r) for r in rows] == [
        (
            "O1",
            "C1",
            "shipped",
            dt.datetime(2026, 1, 2, 22, 30),
            dt.date(2026, 1, 2),
            dt.datetime(2026, 1, 3, 7, 0),
            "EUR",
            2,
            D("5.54"),
        ),
        (
            "O2",
            "C2",
            "cancelled",
            dt.datetime(2026, 1, 4, 9, 0),
            dt.date(2026, 1, 4),
            dt.datetime(2026, 1, 4, 10, 0),
            "EUR",
            1,
            D("9.99"),
        ),
    ]


def test_silver_order_lines_exploded_from_the_latest_version(orders_bronze):
    """Rule: Latest version. (docs/semantics.md)"""
    rows = sorted(tuple(r) for r in silver.order_lines(silver.orders(orders_bronze)).collect())
    assert rows == [
        ("O1", 1, "SKU-1", 2, D("1.10"), D("2.20"), dt.date(2026, 1, 2)),
        ("O1", 2, "SKU-2", 1, D("3.34"), D("3.34"), dt.date(2026, 1, 2)),
        ("O2", 1, "SKU-3", 1, D("9.99"), D("9.99"), dt.date(2026, 1, 4)),
    ]


def test_silver_payments_dedup_and_order_status(spark, orders_bronze):
    events = bronze(
        spark,
        PAYMENTS,
        [
            {
                "payment_event_id": "E1",
                "payment_id": "P1",
                "order_id": "O1",
                "event_type": "Captured",
                "amount": 5.545,
                "currency": "eur",
                "event_ts": "2026-01-02T23:45:00+01:00",
            },
            {
                "payment_event_id": "E1",
                "payment_id": "P1",
                "order_id": "O1",
                "event_type": "Captured",
                "amount": 5.545,
                "currency": "eur",
                "event_ts": "2026-01-02T23:45:00+01:00",
            },
            {
                "payment_event_id": "E2",
                "payment_id": "P9",
                "order_id": "O9",
                "event_type": "refunded",
                "amount": 1.0,
                "currency": "EUR",
                "event_ts": "2026-01-05T00:00:00+00:00",
            },
        ],
    )
    rows = sorted(tuple(r) for r in silver.payments(events, silver.orders(orders_bronze)).collect())
    assert rows == [
        (
            "O1",
            "E1",
            "P1",
            "captured",
            D("5.55"),
            "EUR",
            dt.datetime(2026, 1, 2, 22, 45),
            "shipped",
            dt.date(2026, 1, 2),
        ),
        ("O9", "E2", "P9", "refunded", D("1.00"), "EUR", dt.datetime(2026, 1, 5), None, None),
    ]


def test_customer_changes_cleansed_and_current_state(spark):
    """Rules: Normalisation (email, country); Customers. (docs/semantics.md)"""

    def change(updated, email, tier, city=" amsterdam "):
        return {
            "customer_id": " C1 ",
            "email": email,
            "first_name": "ada",
            "last_name": "LOVELACE",
            "city": city,
            "country": "nl",
            "segment": "Consumer",
            "loyalty_tier": tier,
            "signup_date": "2026-01-01",
            "updated_at": updated,
        }

    rows = bronze(
        spark,
        CUSTOMERS,
        [
            change("2026-01-01T10:00:00+00:00", " ADA@Mail.Example ", "Silver"),
            change("2026-01-03T10:00:00+00:00", "ada@mail.example", "GOLD"),
            change("2026-01-01T10:00:00+00:00", " ADA@Mail.Example ", "Silver"),  # duplicate delivery
        ],
    )
    changes = silver.clean_customer_changes(rows)
    assert sorted((tuple(r) for r in changes.collect()), key=lambda r: r[9]) == [
        (
            "C1",
            "ada@mail.example",
            "Ada",
            "Lovelace",
            "Amsterdam",
            "NL",
            "consumer",
            "silver",
            dt.date(2026, 1, 1),
            dt.datetime(2026, 1, 1, 10),
            dt.date(2026, 1, 1),
        ),
        (
            "C1",
            "ada@mail.example",
            "Ada",
            "Lovelace",
            "Amsterdam",
            "NL",
            "consumer",
            "gold",
            dt.date(2026, 1, 1),
            dt.datetime(2026, 1, 3, 10),
            dt.date(2026, 1, 3),
        ),
    ]
    current = silver.customers(changes).collect()
    assert [(r.customer_id, r.loyalty_tier, r.updated_at) for r in current] == [
        ("C1", "gold", dt.datetime(2026, 1, 3, 10))
    ]
    assert "change_date" not in silver.customers(changes).columns


def test_products_inventory_clickstream_store_sales_and_stores(spark):
    products = bronze(
        spark,
        PRODUCTS,
        [
            {
                "sku": "sku-1",
                "name": " Mug ",
                "category": "HOME",
                "brand": "Contoso",
                "list_price": D("9.50"),
                "active": None,
                "updated_at": "2026-01-01T00:00:00+00:00",
            },
            {
                "sku": "SKU-1",
                "name": "Mug",
                "category": "home",
                "brand": "Contoso",
                "list_price": D("10.45"),
                "active": False,
                "updated_at": "2026-01-03T00:00:00+00:00",
            },
        ],
    )
    assert [tuple(r) for r in silver.products(products).collect()] == [
        ("SKU-1", "Mug", "home", "Contoso", D("10.45"), False)
    ]

    inventory = bronze(
        spark,
        INVENTORY,
        [
            {"snapshot_ts": "2026-01-01T08:00:00+00:00", "store_id": "st1", "sku": "sku-1", "on_hand": 5},
            {"snapshot_ts": "2026-01-01T22:00:00+00:00", "store_id": "ST1", "sku": "SKU-1", "on_hand": 0},
        ],
    )
    assert [tuple(r) for r in silver.inventory(inventory).collect()] == [
        ("ST1", "SKU-1", dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, 22), 0)
    ]

    clicks = bronze(
        spark,
        CLICKSTREAM,
        [
            {
                "event_id": "E1",
                "session_id": "S1",
                "customer_id": "C1",
                "event_type": "Add_To_Cart",
                "page": "/p",
                "sku": "sku-1",
                "event_ts": "2026-01-01T23:59:00-01:00",
            }
        ]
        * 2,
    )
    assert [tuple(r) for r in silver.clickstream(clicks).collect()] == [
        ("E1", "S1", "C1", "add_to_cart", "/p", "SKU-1", dt.datetime(2026, 1, 2, 0, 59), dt.date(2026, 1, 2))
    ]

    sales = bronze(
        spark,
        STORE_SALES,
        [
            {
                "transaction_id": "T1",
                "line_number": 1,
                "store_id": "st1",
                "store_name": "Old name",
                "store_city": "utrecht",
                "sku": "sku-1",
                "quantity": 3,
                "unit_price": 2.005,
                "sold_at": "2026-01-01T10:00:00+00:00",
                "customer_id": None,
            },
            {
                "transaction_id": "T2",
                "line_number": 1,
                "store_id": "ST1",
                "store_name": "New name",
                "store_city": "UTRECHT",
                "sku": "SKU-2",
                "quantity": 1,
                "unit_price": 4.0,
                "sold_at": "2026-01-02T10:00:00+00:00",
                "customer_id": "C1",
            },
        ],
    )
    assert sorted(tuple(r) for r in silver.store_sales(sales).collect()) == [
        ("T1", 1, "ST1", "SKU-1", 3, D("2.01"), D("6.02"), dt.datetime(2026, 1, 1, 10), dt.date(2026, 1, 1), None),
        ("T2", 1, "ST1", "SKU-2", 1, D("4.00"), D("4.00"), dt.datetime(2026, 1, 2, 10), dt.date(2026, 1, 2), "C1"),
    ]
    assert [tuple(r) for r in silver.stores(sales).collect()] == [
        ("ST1", "New name", "Utrecht", dt.datetime(2026, 1, 2, 10))
    ]


def test_upsert_latest_keeps_the_newest_row_per_key_and_a_candidate_wins_a_tie(spark, window_form):
    schema = "store_id string, store_name string, reported_at timestamp"
    current = spark.createDataFrame(
        [
            ("ST1", "Old", dt.datetime(2026, 1, 2)),
            ("ST2", "Kept", dt.datetime(2026, 1, 5)),
            ("ST3", "Tied", dt.datetime(2026, 1, 3)),
        ],
        schema,
    )
    candidates = spark.createDataFrame(
        [
            ("ST1", "Newer", dt.datetime(2026, 1, 4)),
            ("ST2", "Late", dt.datetime(2026, 1, 1)),
            ("ST3", "Same time", dt.datetime(2026, 1, 3)),
            ("ST4", "New store", dt.datetime(2026, 1, 4)),
        ],
        schema,
    )
    merged = upsert_latest(current, candidates, ["store_id"], "reported_at")
    assert sorted((r.store_id, r.store_name) for r in merged.collect()) == [
        ("ST1", "Newer"),
        ("ST2", "Kept"),
        ("ST3", "Same time"),
        ("ST4", "New store"),
    ]
    assert merged.columns == ["store_id", "store_name", "reported_at"]


def test_latest_version_and_latest_event_keep_the_row_the_window_keeps(spark, window_form):
    """The two narrowed deduplications pick the row `latest` picks: the greatest order, then the latest batch,
    then the last source file; a key whose every order is null, and a null key, keep one row."""
    schema = "k string, ts timestamp, v string, _ingestion_ts timestamp, _source_file string"
    day = dt.datetime(2026, 1, 1)
    later = dt.datetime(2026, 1, 2)
    df = spark.createDataFrame(
        [
            ("A", day, "a-old", T0, "f1"),
            ("A", later, "a-new", T0, "f1"),
            ("B", later, "b-early-batch", T0, "f9"),
            ("B", later, "b-late-batch", T0 + dt.timedelta(hours=1), "f1"),
            ("C", later, "c-first-file", T0, "f1"),
            ("C", later, "c-last-file", T0, "f2"),
            ("D", None, "d-old-file", T0, "f1"),
            ("D", None, "d-new-file", T0, "f2"),
            ("E", None, "e-null", T0, "f3"),
            ("E", day, "e-dated", T0, "f1"),
            ("S", day, "single", T0, "f1"),
            (None, day, "null-key-old", T0, "f1"),
            (None, later, "null-key-new", T0, "f1"),
        ],
        schema,
    )
    expected = ["a-new", "b-late-batch", "c-last-file", "d-new-file", "e-dated", "null-key-new", "single"]
    order = F.col("ts")
    for kept in (
        silver.latest(df, ["k"], [order]),
        silver.latest_version(df, ["k"], order),
        silver.latest_event(df, ["k"], [order]),
    ):
        assert kept.columns == df.columns
        assert sorted(r.v for r in kept.collect()) == expected


def test_latest_event_keeps_each_keys_row_when_keys_share_a_hash(spark, monkeypatch):
    """`latest_event` narrows by a hash of the key; keys that share one are still ranked each by itself."""
    import retailflow.workloads.runtime.latest as latest_module

    monkeypatch.setattr(latest_module, "key_hash", lambda key: F.lit(7).cast("bigint"))  # every key collides
    schema = "k string, ts timestamp, v string, _ingestion_ts timestamp, _source_file string"
    day, later = dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2)
    rows = [("A", day, "a-old", T0, "f1"), ("A", later, "a-new", T0, "f1"), ("B", day, "b", T0, "f1")]
    df = spark.createDataFrame([*rows, (None, day, "null-key", T0, "f1")], schema)
    kept = silver.latest_event(df, ["k"], [F.col("ts")])
    assert kept.columns == df.columns
    assert sorted(r.v for r in kept.collect()) == ["a-new", "b", "null-key"]


def test_the_keys_whose_latest_version_is_new_are_those_a_full_rebuild_takes_from_the_new_rows(spark):
    """`Versions.newest_in`: a key's newest new version against its newest old one, the later batch winning a tie,
    a null order losing to any time (as the window orders nulls last), keys normalised, a null key a key too."""
    versions = Versions((("k", lambda: F.trim("k")),), lambda: F.col("ts"))
    schema = "k string, ts int"
    old = spark.createDataFrame(
        [("A", 2), ("B", 1), ("C", 2), ("E", None), ("F", 1), ("G", None), ("H", 5), (None, 1)], schema
    )
    new = spark.createDataFrame(
        [("A", 1), (" B ", 2), ("C", 2), ("D", 1), ("E", None), ("F", None), ("G", 1), (None, 2)], schema
    )
    newest = versions.newest_in(new, old)
    assert newest.columns == ["k"]
    assert sorted(r.k or "-" for r in newest.collect()) == ["-", "B", "C", "D", "E", "G"]
    # Every new version older than its key's stored one: no key is new.
    assert versions.newest_in(new.filter(F.col("k") == "A"), old).count() == 0


@pytest.fixture(scope="module")
def dims(spark):
    dim_customer = spark.createDataFrame(
        [
            (
                11,
                "C1",
                "a@x",
                "Amsterdam",
                "NL",
                "consumer",
                "silver",
                "A",
                "B",
                dt.datetime(2026, 1, 1),
                dt.datetime(2026, 1, 3),
                False,
            ),
            (12, "C1", "a@x", "Amsterdam", "NL", "consumer", "gold", "A", "B", dt.datetime(2026, 1, 3), None, True),
            (21, "C2", "b@x", "Paris", "FR", "consumer", "none", "C", "D", dt.datetime(2026, 1, 10), None, True),
        ],
        "customer_sk bigint, customer_id string, email string, city string, country string, segment string, "
        "loyalty_tier string, first_name string, last_name string, valid_from timestamp, valid_to timestamp, is_current boolean",
    ).unionByName(gold.unknown_customer(spark))
    products = spark.createDataFrame(
        [
            ("SKU-1", "Mug", "home", "Contoso", D("1.00"), True),
            ("SKU-2", "Tee", "apparel", "Fabrikam", D("2.00"), True),
        ],
        "sku string, name string, category string, brand string, list_price decimal(18,2), active boolean",
    )
    stores = spark.createDataFrame([("ST1", "Utrecht 1", "Utrecht")], "store_id string, store_name string, city string")
    return dim_customer, gold.dim_product(products), gold.dim_store(stores)


def test_dimension_members_and_unknown_members(dims, spark):
    """Rule: Unknown members. (docs/semantics.md)"""
    _, dim_product, dim_store = dims
    products = {r.sku: r.product_sk for r in dim_product.collect()}
    assert products["UNKNOWN"] == gold.UNKNOWN_SK and len(products) == 3
    assert (
        products["SKU-1"] == spark.createDataFrame([("SKU-1",)], "sku string").select(gold.natural_sk("sku")).first()[0]
    )
    stores = {r.store_id: (r.store_sk, r.channel) for r in dim_store.collect()}
    assert stores["ONLINE"] == (gold.ONLINE_STORE_SK, "online") and stores["UNKNOWN"] == (gold.UNKNOWN_SK, "unknown")
    assert stores["ST1"][1] == "store"


@pytest.fixture(scope="module")
def facts_input(spark):
    orders = spark.createDataFrame(
        [
            (
                "O1",
                "C1",
                "delivered",
                dt.datetime(2026, 1, 2, 12),
                dt.date(2026, 1, 2),
                dt.datetime(2026, 1, 2, 13),
                "EUR",
                2,
                D("4.00"),
            ),
            (
                "O2",
                "C1",
                "refunded",
                dt.datetime(2026, 1, 4, 12),
                dt.date(2026, 1, 4),
                dt.datetime(2026, 1, 5),
                "EUR",
                1,
                D("2.00"),
            ),
            (
                "O3",
                "C2",
                "cancelled",
                dt.datetime(2026, 1, 4, 13),
                dt.date(2026, 1, 4),
                dt.datetime(2026, 1, 4, 14),
                "EUR",
                1,
                D("1.00"),
            ),
            (
                "O4",
                "C9",
                "paid",
                dt.datetime(2026, 1, 4, 15),
                dt.date(2026, 1, 4),
                dt.datetime(2026, 1, 4, 15),
                "EUR",
                1,
                D("1.00"),
            ),
        ],
        "order_id string, customer_id string, status string, order_ts timestamp, order_date date, updated_at timestamp, "
        "currency string, item_count int, order_amount decimal(18,2)",
    )
    lines = spark.createDataFrame(
        [
            ("O1", 1, "SKU-1", 2, D("1.00"), D("2.00"), dt.date(2026, 1, 2)),
            ("O1", 2, "SKU-2", 1, D("2.00"), D("2.00"), dt.date(2026, 1, 2)),
            ("O2", 1, "SKU-2", 1, D("2.00"), D("2.00"), dt.date(2026, 1, 4)),
            ("O3", 1, "SKU-1", 1, D("1.00"), D("1.00"), dt.date(2026, 1, 4)),
            ("O4", 1, "SKU-X", 1, D("1.00"), D("1.00"), dt.date(2026, 1, 4)),
        ],
        "order_id string, line_number int, sku string, quantity int, unit_price decimal(18,2), line_amount decimal(18,2), order_date date",
    )
    payments = spark.createDataFrame(
        [("O2", "E1", "P2", "refunded", D("2.00"), "EUR", dt.datetime(2026, 1, 5), "refunded", dt.date(2026, 1, 4))],
        "order_id string, payment_event_id string, payment_id string, event_type string, amount decimal(18,2), "
        "currency string, event_ts timestamp, order_status string, order_date date",
    )
    store = spark.createDataFrame(
        [("T1", 1, "ST1", "SKU-1", 3, D("1.00"), D("3.00"), dt.datetime(2026, 1, 4, 9), dt.date(2026, 1, 4), None)],
        "transaction_id string, line_number int, store_id string, sku string, quantity int, unit_price decimal(18,2), "
        "line_amount decimal(18,2), sold_at timestamp, sale_date date, customer_id string",
    )
    return orders, lines, payments, store


def test_fact_orders_resolves_versions_refunds_and_unknown_members(dims, facts_input):
    """Rules: Orders and revenue (net of refunds); Customers; Unknown members. (docs/semantics.md)"""
    dim_customer, _, _ = dims
    orders, _, payments, _ = facts_input
    rows = {r.order_id: r for r in gold.fact_orders(orders, payments, dim_customer).collect()}
    assert (rows["O1"].customer_sk, rows["O1"].net_amount) == (11, D("4.00"))  # valid version on Jan 2
    assert (rows["O2"].customer_sk, rows["O2"].refunded_amount, rows["O2"].net_amount) == (12, D("2.00"), D("0.00"))
    assert rows["O3"].customer_sk == 21  # C2 arrived later: resolved to its first version
    assert rows["O4"].customer_sk == gold.UNKNOWN_SK  # never arrived


def test_resolve_customer_takes_one_version_per_fact(dims, spark):
    """Rule: Customers (the version valid at the fact's time; before the first version, or without a time, the
    first; an unknown customer the unknown member). (docs/semantics.md)"""
    dim_customer, _, _ = dims
    facts = spark.createDataFrame(
        [
            ("F1", "C1", dt.datetime(1850, 6, 1)),  # long before C1's first version
            ("F2", "C1", dt.datetime(2026, 1, 2, 23, 59)),
            ("F3", "C1", dt.datetime(2026, 1, 3)),  # the instant the second version starts
            ("F4", "C1", None),
            ("F5", "C2", dt.datetime(2026, 1, 9)),  # before C2's only version
            ("F6", "C9", dt.datetime(2026, 1, 2)),
            ("F7", None, dt.datetime(2026, 1, 2)),
        ],
        "fact_id string, customer_id string, at timestamp",
    )
    resolved = gold.resolve_customer(facts, dim_customer, "at")
    assert resolved.columns == ["fact_id", "customer_id", "at", "customer_sk"]
    assert sorted((r.fact_id, r.customer_sk) for r in resolved.collect()) == [
        ("F1", 11),
        ("F2", 11),
        ("F3", 12),
        ("F4", 11),
        ("F5", 21),
        ("F6", gold.UNKNOWN_SK),
        ("F7", gold.UNKNOWN_SK),
    ]


def test_fact_sales_and_daily_revenue(dims, facts_input):
    """Rule: Orders and revenue (revenue statuses, refunds booked on the order's date). (docs/semantics.md)"""
    dim_customer, dim_product, dim_store = dims
    orders, lines, payments, store = facts_input
    sales = gold.fact_sales(lines, orders, payments, store, dim_customer, dim_product, dim_store)
    rows = sorted((r.channel, r.document_id, r.line_number, r.net_amount, r.refunded_amount) for r in sales.collect())
    assert rows == [
        ("online", "O1", 1, D("2.00"), D("0.00")),
        ("online", "O1", 2, D("2.00"), D("0.00")),
        ("online", "O2", 1, D("0.00"), D("2.00")),
        ("online", "O4", 1, D("1.00"), D("0.00")),  # cancelled O3 has no revenue line
        ("store", "T1", 1, D("3.00"), D("0.00")),
    ]
    unknown_product = next(r for r in sales.collect() if r.document_id == "O4")
    assert unknown_product.product_sk == gold.UNKNOWN_SK and unknown_product.store_sk == gold.ONLINE_STORE_SK
    revenue = sorted(tuple(r) for r in gold.daily_revenue(sales, dim_product).collect())
    assert revenue == [
        (dt.date(2026, 1, 2), "online", "apparel", D("2.00"), D("0.00"), 1, 1, D("2.00")),
        (dt.date(2026, 1, 2), "online", "home", D("2.00"), D("0.00"), 1, 2, D("2.00")),
        (dt.date(2026, 1, 4), "online", "apparel", D("0.00"), D("2.00"), 1, 1, D("0.00")),
        (dt.date(2026, 1, 4), "online", "unknown", D("1.00"), D("0.00"), 1, 1, D("1.00")),
        (dt.date(2026, 1, 4), "store", "home", D("3.00"), D("0.00"), 1, 3, D("3.00")),
    ]


def test_inventory_snapshot_flags_out_of_stock(spark, dims):
    """Rule: Inventory (out_of_stock). (docs/semantics.md)"""
    _, dim_product, dim_store = dims
    inventory = spark.createDataFrame(
        [
            ("ST1", "SKU-1", dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, 22), 0),
            ("ST1", "SKU-2", dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, 22), 4),
        ],
        "store_id string, sku string, snapshot_date date, snapshot_ts timestamp, on_hand int",
    )
    rows = sorted(
        (r.sku, r.on_hand, r.out_of_stock, r.product_sk != gold.UNKNOWN_SK)
        for r in gold.inventory_snapshot(inventory, dim_product, dim_store).collect()
    )
    assert rows == [("SKU-1", 0, True, True), ("SKU-2", 4, False, True)]


def test_generator_is_deterministic(tmp_path):
    from retailflow.local.generator import GeneratorSettings, generate

    settings = GeneratorSettings(scale=0.002, days=2, seed=9)
    generate(tmp_path / "a", settings)
    generate(tmp_path / "b", settings)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 14  # the manifest, 6 sources a day, the catalog on the first
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)
    other = generate(tmp_path / "c", GeneratorSettings(scale=0.002, days=2, seed=10))
    assert (tmp_path / "c" / "orders").exists() and other["settings"]["seed"] == 10


def test_every_source_has_its_spec_its_bronze_task_and_its_generator():
    from retailflow.local.generator import SOURCES as GENERATORS
    from retailflow.workloads.retail.graph import SOURCE_NAMES
    from retailflow.workloads.retail.sources import SOURCES

    assert tuple(spec.name for spec in SOURCES) == SOURCE_NAMES
    assert sorted(g.name for g in GENERATORS) == sorted(SOURCE_NAMES)
