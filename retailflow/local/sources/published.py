"""The source systems' contents, from generated RAW: what each source publishes on each day.

A day's records are those of the generator's files of that day (its late corrections included), stamped with a
change time on that day (`changed_at`, the sources' own watermark column). Lines that are not a JSON object (the
generator's truncated-line defects) and CSV rows of the wrong width are not published: a REST API or a database
holds records, not broken lines; everything else, duplicates and records missing a field included, is.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from retailflow.workloads.retail.landing import LANDED_SOURCES

PUBLISHED_AT = dt.time(12, 0)  # when a day's changes appear in the source systems


@dataclass
class Published:
    """Per source: (changed_at, record) in publication order; the file drops per day."""

    records: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    drops: dict[int, list[tuple[str, Path]]] = field(default_factory=dict)  # day -> (source, file)
    start_date: dt.date = dt.date(2026, 1, 5)
    days: int = 0


def changed_at(day: dt.date) -> str:
    return dt.datetime.combine(day, PUBLISHED_AT).isoformat() + "+00:00"


def publish(raw: Path, start_date: dt.date, days: int) -> Published:
    published = Published(start_date=start_date, days=days)
    for source in LANDED_SOURCES:
        rows: list[tuple[str, Any]] = published.records.setdefault(source.name, [])
        for day in range(days):
            date = start_date + dt.timedelta(days=day)
            folder = raw / source.name / f"ingestion_date={date.isoformat()}"
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                if source.kind == "files":
                    published.drops.setdefault(day, []).append((source.name, path))
                else:
                    rows.extend((changed_at(date), record) for record in _records(path, source.table))
    return published


def _records(path: Path, table: Any) -> list[Any]:
    if path.suffix == ".jsonl":
        found = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append(record)
        return found
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            return [tuple(row) for row in reader if len(row) == len(header)]
    if path.suffix == ".parquet":
        frame = pq.read_table(path).to_pylist()
        return [tuple(row.get(column) for column in table.columns) for row in frame]
    return []
