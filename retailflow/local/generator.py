"""Deterministic RAW data for the seven sources, with real-world defects at known rates and a manifest of them.

Each source's generator is a module of `retailflow.local.raw`, registered in `SOURCES` by the name of its
`SourceSpec` (`workloads/retail/sources.py`); they run in that order, drawing from one random stream, so the same
seed gives the same bytes. Vectorized: entities and their histories are numpy arrays, DuckDB renders them to JSON
lines in bulk, Parquet and CSV are written from columns. Scale 1 is 100k orders. Defects are *added* records
(garbage lines, copies with a required field removed, exact duplicates) or re-orderings, so the clean data stays
complete and the manifest reconciles exactly with what the pipeline quarantines and loads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from retailflow.local.raw import clickstream, customers, defects, inventory, orders, payments, products, store_sales
from retailflow.local.raw.common import RATES, GeneratorSettings, SourceGenerator, World

__all__ = ["SOURCES", "GeneratorSettings", "generate"]

SOURCES = (
    SourceGenerator("products", products.generate),
    SourceGenerator("customers", customers.generate),
    SourceGenerator("orders", orders.generate),
    SourceGenerator("payments", payments.generate),
    SourceGenerator("clickstream", clickstream.generate),
    SourceGenerator("inventory", inventory.generate),
    SourceGenerator("store_sales", store_sales.generate, writes_files=True),
)
# CSV sources: their header line and extension; every other text source is JSON lines.
CSV_HEADERS = {"products": products.HEADER, "inventory": inventory.HEADER}


def generate(out: Path, settings: GeneratorSettings) -> dict[str, Any]:
    """Write RAW under `out` and return (and write) the manifest."""
    con = duckdb.connect()
    con.execute("SET threads = 1")
    world = World(out, settings, np.random.default_rng(settings.seed), con)
    for source in SOURCES:
        world.counts(source.name)
    try:
        for source in (s for s in SOURCES if not s.writes_files):
            source.generate(world)
        defects.inject(world)
        _write_text(world)
        for source in (s for s in SOURCES if s.writes_files):
            source.generate(world)
    finally:
        con.close()
    result = {
        "settings": {
            "scale": settings.scale,
            "days": settings.days,
            "seed": settings.seed,
            "start_date": settings.start_date.isoformat(),
        },
        "rates": RATES,
        "sources": {s: dict(sorted(counts.items())) for s, counts in world.manifest.items()},
    }
    (out / "_manifest.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return result


def _write_text(world: World) -> None:
    for (source, day), lines in sorted(world.files.lines.items()):
        header = CSV_HEADERS.get(source)
        body = ([header] if header else []) + lines
        name = f"{source}-{day:03d}.{'csv' if header else 'jsonl'}"
        (world.folder(source, day) / name).write_text("\n".join(body) + "\n", encoding="utf-8")
