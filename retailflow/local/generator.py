"""Deterministic RAW data for the seven sources, day by day, with real-world defects and corrections at known rates
and a manifest of them.

Each day's files depend only on the seed, the scale, the start date and the day: every (day, purpose) has its own
random stream (`GeneratorSettings.rng`). So generation appends: asked for more days than a folder holds, it writes
only the new days and leaves every existing file as it is (RAW is immutable), and generating 3 days then 4 gives the
bytes of generating 4 at once. What a day delivers on a later day (a refund, a correction that moves an order's
date, an older customer change, a store-sale correction, a redelivery) is replayed from the days before the first
new one, without writing them.

Each source is a module of `retailflow.local.raw`, registered in `SOURCES` by the name of its `SourceSpec`
(`workloads/retail/sources.py`). A source's day is made, written and dropped in blocks of a bounded number of
records (`raw.common.BLOCK`), so memory follows the block, not the scale or the number of days. Defects are *added*
records (garbage lines, copies with a required field removed, exact duplicates) or re-orderings, so the clean data
stays complete and the manifest reconciles exactly with what the pipeline quarantines and loads.
"""

from __future__ import annotations

import filecmp
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from retailflow.local.raw import clickstream, customers, defects, inventory, orders, payments, products, store_sales
from retailflow.local.raw.common import LOOKBACK_DAYS, RATES, Day, GeneratorSettings, Later, SourceGenerator

__all__ = ["SOURCES", "GeneratorSettings", "RawFileDiffers", "generate"]

SOURCES = (
    SourceGenerator("products", products.generate),
    SourceGenerator("customers", customers.generate),
    SourceGenerator("orders", orders.generate),
    SourceGenerator("payments", payments.generate),
    SourceGenerator("clickstream", clickstream.generate),
    SourceGenerator("inventory", inventory.generate),
    SourceGenerator("store_sales", store_sales.generate, writes_table=True),
)
# CSV sources: their header line and extension; every other text source is JSON lines.
CSV_HEADERS = {"products": products.HEADER, "inventory": inventory.HEADER}
MANIFEST = "_manifest.json"


class RawFileDiffers(ValueError):
    """A RAW file to write exists with other bytes: RAW is immutable, and the folder was written otherwise."""


def generate(out: Path, settings: GeneratorSettings) -> dict[str, Any]:
    """Write the days of RAW under `out` that it does not hold yet; return (and write) the manifest of all days."""
    held = _held_days(out, settings)
    first_new = len(held)
    out.mkdir(parents=True, exist_ok=True)
    spool = tempfile.TemporaryDirectory(prefix=".later-", dir=out)  # beside RAW: it grows with the scale
    later = Later(Path(spool.name))
    con = duckdb.connect()
    con.execute("SET threads = 1")
    try:
        for day in range(max(0, first_new - LOOKBACK_DAYS), settings.days):
            replay = day < first_new
            counts = _generate_day(out, Day(settings, day, con, later, replay=replay))
            later.forget_before(day + 1)
            if not replay:
                held[settings.date(day).isoformat()] = counts
                _write_manifest(out, settings, held)
    finally:
        con.close()
        spool.cleanup()
    return _write_manifest(out, settings, held)


def _generate_day(out: Path, day: Day) -> dict[str, dict[str, int]]:
    """Each source's file is written block by block as the source generates it: memory holds one block of one
    source at a time."""
    for generator in SOURCES:
        produced = generator.generate(day)
        if day.replay:
            for _ in produced:  # run for what the day delivers later
                pass
        elif generator.writes_table:
            _write_table(day.folder(out, generator.name) / f"{generator.name}-{day.day:03d}.parquet", produced)
        else:
            _write_text(out, day, generator.name, produced)
    if day.replay:
        return {}
    return {source: dict(sorted(counts.items())) for source, counts in sorted(day.manifest.items())}


def _write_text(out: Path, day: Day, source: str, produced: Iterator[list[str]]) -> None:
    """The day's file of a text source, each block followed by its defects; no file when the source sent nothing."""
    header = CSV_HEADERS.get(source)
    path = day.folder(out, source) / f"{source}-{day.day:03d}.{'csv' if header else 'jsonl'}"
    partial = path.with_name(f".{path.name}.partial")
    handle: TextIO | None = None
    try:
        for block, lines in enumerate(produced):
            if not lines:
                continue
            if handle is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                handle = open(partial, "w", encoding="utf-8")  # noqa: SIM115 (closed after the last block)
                if header:
                    handle.write(header + "\n")
            for line in (*lines, *defects.inject(day, source, lines, block)):
                handle.write(line + "\n")
    finally:
        if handle is not None:
            handle.close()
    if handle is not None:
        _publish(partial, path)


def _write_table(path: Path, produced: Iterator[pa.Table]) -> None:
    """A Parquet file of the blocks (a row group or more each); no file when the source sent nothing."""
    partial = path.with_name(f".{path.name}.partial")
    writer: pq.ParquetWriter | None = None
    try:
        for table in produced:
            if writer is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(partial, table.schema, compression="snappy")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    if writer is not None:
        _publish(partial, path)


def _publish(partial: Path, path: Path) -> None:
    """Give a written RAW file its name, atomically; one that exists must hold these bytes already (a day interrupted
    half-way is written again with the same bytes)."""
    if path.exists():
        same = filecmp.cmp(partial, path, shallow=False)
        partial.unlink()
        if not same:
            raise RawFileDiffers(
                f"{path} exists with other content: RAW files are immutable, and this folder was generated with other "
                "settings or by another generator; generate into a new folder"
            )
        return
    os.replace(partial, path)


def _held_days(out: Path, settings: GeneratorSettings) -> dict[str, dict[str, dict[str, int]]]:
    """The days the folder's manifest records, after checking it was written with these settings."""
    path = out / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        written, days = manifest["settings"], manifest["days"]
    except (ValueError, KeyError, TypeError) as err:
        raise RawFileDiffers(f"{path}: not a manifest of this generator ({err}); generate into a new folder") from err
    wanted = _settings_record(settings)
    for key in ("scale", "seed", "start_date"):
        if written.get(key) != wanted[key]:
            raise RawFileDiffers(
                f"{path}: the folder was generated with {key}={written.get(key)!r}, not {wanted[key]!r}; "
                f"appending days needs the same {key}"
            )
    expected = [settings.date(d).isoformat() for d in range(len(days))]
    if sorted(days) != expected:
        raise RawFileDiffers(f"{path}: the days it records are not consecutive from {settings.start_date}")
    return dict(days)


def _settings_record(settings: GeneratorSettings, days: int | None = None) -> dict[str, Any]:
    return {
        "scale": settings.scale,
        "days": settings.days if days is None else days,
        "seed": settings.seed,
        "start_date": settings.start_date.isoformat(),
    }


def _write_manifest(
    out: Path, settings: GeneratorSettings, days: dict[str, dict[str, dict[str, int]]]
) -> dict[str, Any]:
    totals: dict[str, Counter[str]] = {}
    for sources in days.values():
        for source, counts in sources.items():
            totals.setdefault(source, Counter()).update(counts)
    manifest = {
        "settings": _settings_record(settings, len(days)),
        "rates": RATES,
        "sources": {s: dict(sorted(c.items())) for s, c in sorted(totals.items())},
        "days": dict(sorted(days.items())),
    }
    out.mkdir(parents=True, exist_ok=True)
    partial = out / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, out / MANIFEST)
    return manifest
