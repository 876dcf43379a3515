"""Landing: what every connector shares (no pyspark: the stacks render the settings). A landing run takes one source's changes in a window (since its watermark,
up to now), writes them into RAW as one immutable batch and then moves the watermark.

A batch is `<raw>/<source>/ingestion_date=D/batch_id=B/` with its files and `_batch.json` (records, sha256 per file,
the window). Its id is a hash of the source and the window, so landing the same window again finds the batch and
lands nothing new. It is written in a hidden staging folder and renamed whole: bronze never sees half a batch, and
a landing killed half-way leaves only the staging folder, removed by the next attempt, with the watermark unmoved.
The watermark (`ops.landing_log`) moves after the rename: a crash between the two re-lands the same window into the
same batch id, which exists, so nothing is written twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

EPOCH = "1970-01-01T00:00:00+00:00"
FILES_WINDOW = "files"  # the window end of a batch of dropped files (they are landed by content, not by time)
# A landed batch inside a RAW partition (`batch_id=<id>/`, written whole), with its manifest; bronze reads its files.
BATCH = re.compile(r"^batch_id=[A-Za-z0-9_-]+$")
BATCH_MANIFEST = "_batch.json"


@dataclass(frozen=True)
class SourceConnection:
    """Where one source lives, from config: a REST URL, a database, or an inbox folder under the RAW root; and
    the names of the secrets that open it."""

    kind: str  # rest | sql | files
    url: str = ""
    api_key_secret: str = ""
    host: str = ""
    port: int = 5432
    database: str = ""
    user_secret: str = ""
    password_secret: str = ""
    inbox: str = ""
    timeout_seconds: float = 10.0  # a REST page or a database answer slower than this is retried


@dataclass(frozen=True)
class LandingSettings:
    """What the landing tasks are given (`--landing`): the secret scope and each source's connection."""

    secret_scope: str
    sources: dict[str, SourceConnection] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"secret_scope": self.secret_scope, "sources": {k: vars(v) for k, v in sorted(self.sources.items())}},
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> LandingSettings:
        data = json.loads(text)
        return cls(data["secret_scope"], {k: SourceConnection(**v) for k, v in data["sources"].items()})


@dataclass(frozen=True)
class Window:
    """Changes after `since` up to and including `until` (ISO-8601 with offset)."""

    since: str
    until: str


def batch_id(source: str, window: Window) -> str:
    return hashlib.sha256(f"{source}|{window.since}|{window.until}".encode()).hexdigest()[:16]


def window_until(as_of: dt.date | None, now: dt.datetime | None = None) -> tuple[str, str]:
    """(until, ingestion date) of a landing run: the end of `as_of` (a replayed or simulated day), else now (UTC)."""
    if as_of is not None:
        return f"{as_of.isoformat()}T23:59:59+00:00", as_of.isoformat()
    moment = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    return moment.isoformat(), moment.date().isoformat()


@dataclass
class Batch:
    """One batch being written: files go to a hidden staging folder; `finish` writes the manifest and renames it."""

    raw_root: Path
    source: str
    ingestion_date: str
    window: Window
    files: list[dict[str, object]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return batch_id(self.source, self.window)

    @property
    def folder(self) -> Path:
        return self.raw_root / self.source / f"ingestion_date={self.ingestion_date}" / f"batch_id={self.id}"

    @property
    def staging(self) -> Path:
        return self.folder.with_name(f".{self.folder.name}.partial")

    def exists(self) -> bool:
        """Landed already, on any day (a rerun on a later day must not land the same batch again)."""
        pattern = f"ingestion_date=*/batch_id={self.id}/{BATCH_MANIFEST}"
        return any((self.raw_root / self.source).glob(pattern))

    def start(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)  # left by a landing killed half-way
        self.staging.mkdir(parents=True)

    def add(self, name: str, data: bytes, records: int) -> None:
        (self.staging / name).write_bytes(data)
        self.files.append({"name": name, "records": records, "sha256": hashlib.sha256(data).hexdigest()})

    @property
    def records(self) -> int:
        return sum(int(str(f["records"])) for f in self.files)

    def abandon(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def finish(self) -> None:
        manifest = {
            "source": self.source,
            "batch_id": self.id,
            "ingestion_date": self.ingestion_date,
            "window": {"since": self.window.since, "until": self.window.until},
            "records": self.records,
            "files": self.files,
        }
        (self.staging / BATCH_MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        os.replace(self.staging, self.folder)


def landed_until(raw_root: Path, source: str) -> list[str]:
    """The end of every window whose batch is in RAW (file drops have no window)."""
    ends = []
    for manifest in (raw_root / source).glob(f"ingestion_date=*/batch_id=*/{BATCH_MANIFEST}"):
        until = json.loads(manifest.read_text())["window"]["until"]
        if until != FILES_WINDOW:
            ends.append(str(until))
    return ends


def json_lines(records: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n" for r in records).encode("utf-8")
