"""Bronze ingestion: RAW files as received -> a schema-enforced, audited Delta table, exactly once per file.

RAW lives under `<raw>/<source>/ingestion_date=YYYY-MM-DD/`. Every line (JSON, CSV) or row (Parquet) ends up in
exactly one place: the bronze table, or `ops.quarantine` with its raw text, file, batch and reason. Fields the
schema does not know are kept in `_rescued_data` (a JSON object), never dropped.

Files are checked in Python before the batch (the local engine fails a whole read on one invalid UTF-8 byte): an
empty, undecodable or unreadable file is quarantined whole; a file that vanished since listing, or is still being
written, is logged and left for the next run (it is not in the ledger, so it will be picked up then). A ledgered file
whose size changed is an error naming it: RAW is immutable. A file name the engine would read as a glob pattern is
read through Python instead.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import BinaryIO, Literal

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, DateType, MapType, StringType, StructType, TimestampType

from retailflow.workloads.runtime.contracts import Column, TableContract
from retailflow.workloads.runtime.landing import BATCH, BATCH_MANIFEST
from retailflow.workloads.runtime.ops import LEDGER, QUARANTINE, date_literals, utcnow
from retailflow.workloads.runtime.refs import TableRef, sql_string
from retailflow.workloads.runtime.tables import Lakehouse

log = logging.getLogger("retailflow.ingest")

AUDIT_COLUMNS = (
    Column("_rescued_data", StringType(), True, "Fields not in the schema, as a JSON object"),
    Column("_ingestion_ts", TimestampType(), False, "When the batch loaded the row (UTC)"),
    Column("_source_file", StringType(), False, "The RAW file the row came from"),
    Column("_batch_id", StringType(), False, "The ingestion batch"),
    Column("ingestion_date", DateType(), False, "The RAW partition the file was delivered in"),
)
CSV_FIELD = r'(?:^|,)("(?:[^"]|"")*"|[^,]*)'
PARTITION = re.compile(r"^ingestion_date=(\d{4}-\d{2}-\d{2})$")

GLOB_CHARACTERS = frozenset("*?[]{}")
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as the engines' text reader splits lines
BYTE_ORDER_MARK = "\ufeff"
RAW_PREVIEW_CHARS = 65_536
# RAW loaded in one batch at most (one parse, one staging write, one ledger commit); measured in docs/performance.md.
MAX_BATCH_BYTES = 1 << 30
# A JSON line's unknown fields are read one by one by path when there are at most this many, each a plain name.
RESCUE_BY_PATH = 4
PATH_NAMES = r"^[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*$"


class RawFileChanged(RuntimeError):
    """A RAW file differs from what was ingested from it (RAW is immutable)."""


@dataclass(frozen=True)
class SourceSpec:
    """A RAW source: its format, the schema its records are parsed with, and the fields that must be present."""

    name: str
    format: Literal["json", "csv", "parquet"]
    schema: StructType
    required: tuple[str, ...]
    description: str = ""

    @property
    def bronze(self) -> TableRef:
        return TableRef("bronze", self.name)

    @property
    def staging(self) -> TableRef:
        return TableRef("ops", f"staging_{self.name}")

    def contracts(self) -> tuple[TableContract, TableContract]:
        return self.bronze_contract(), self.staging_contract()

    def staging_contract(self) -> TableContract:
        """One batch's parse, written once and split from there into bronze and quarantine."""
        columns = tuple(Column(f.name, f.dataType, True) for f in self.schema.fields) + (
            Column("_rescued_data", StringType()),
            Column("_source_file", StringType()),
            Column("_raw", StringType()),
            Column("_reason", StringType()),
            Column("ingestion_date", DateType()),
        )
        return TableContract(self.staging, columns, description=f"The last ingestion batch of {self.name}, parsed")

    def bronze_contract(self) -> TableContract:
        columns = tuple(Column(f.name, f.dataType, True) for f in self.schema.fields) + AUDIT_COLUMNS
        return TableContract(
            self.bronze, columns, partition_by=("ingestion_date",), description=f"{self.description} (bronze)"
        )


@dataclass(frozen=True)
class RawFile:
    path: str
    size: int
    ingestion_date: str


@dataclass
class IngestResult:
    files: int = 0
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    skipped_vanished: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # paths not loaded, and why


def list_raw_files(
    raw_root: Path,
    source: str,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> list[RawFile]:
    """Every file under `<raw>/<source>/ingestion_date=*/` (and its landed `batch_id=*/` folders), in date then
    name order. What is there but is not such
    a file (a folder named otherwise, a date that is no calendar date, a folder inside a partition, a hidden or
    `_`-prefixed file) is added to `skipped` with the reason, never passed over without a word."""
    files: list[RawFile] = []
    not_loaded = skipped if skipped is not None else []
    base = raw_root / source
    if not base.is_dir():
        return []
    for partition in sorted(base.iterdir()):
        match = PARTITION.match(partition.name)
        if not match or not partition.is_dir():
            not_loaded.append((str(partition), "not a partition folder (ingestion_date=YYYY-MM-DD)"))
            continue
        try:
            day = dt.date.fromisoformat(match.group(1))
        except ValueError:
            not_loaded.append((str(partition), f"{match.group(1)} is not a calendar date"))
            continue
        if (from_date and day < from_date) or (to_date and day > to_date):
            continue
        for path in sorted(partition.iterdir()):
            if BATCH.match(path.name) and path.is_dir():
                for inner in sorted(path.iterdir()):
                    if inner.name != BATCH_MANIFEST:  # the landing's record of the batch: expected, not data
                        _list_file(inner, match.group(1), files, not_loaded, "a folder inside a batch, not a file")
            else:
                _list_file(path, match.group(1), files, not_loaded, "a folder inside a partition, not a file")
    return files


def _list_file(path: Path, day: str, files: list[RawFile], not_loaded: list[tuple[str, str]], folder: str) -> None:
    if path.name.startswith((".", "_")):
        not_loaded.append((str(path), "a hidden or metadata file (its name starts with . or _)"))
    elif not path.is_file():
        not_loaded.append((str(path), folder))
    else:
        try:
            files.append(RawFile(str(path), path.stat().st_size, day))
        except FileNotFoundError:
            log.warning("raw file vanished while listing; it will be picked up next run: %s", path)


@dataclass(frozen=True)
class ReadableFile:
    """A file the gate let through, with what its bytes told: its first line (a CSV file's header), and whether
    it holds a byte-order mark (U+FEFF) anywhere; only then are its lines parsed with the mark taken off."""

    raw: RawFile
    first_line: str
    byte_order_mark: bool


@dataclass(frozen=True)
class GateResult:
    readable: list[ReadableFile]
    rejected: list[tuple[RawFile, str, str]]  # file, reason, raw preview
    vanished: list[RawFile]  # gone since listing, or still being written (its size changed): retried next run


def gate_files(files: Sequence[RawFile], binary: bool) -> GateResult:
    """Check each file can be read as its format expects, streaming (constant memory)."""
    readable, rejected, vanished = [], [], []
    for raw in files:
        try:
            with open(raw.path, "rb") as handle:
                head = handle.read(1 << 20)
                if os.fstat(handle.fileno()).st_size != raw.size:  # still being written: next run takes it whole
                    vanished.append(raw)
                    continue
                if not head:
                    rejected.append((raw, "empty file: no records", ""))
                    continue
                if binary:
                    problem = _parquet_problem(handle, os.fstat(handle.fileno()).st_size)
                    if problem:
                        rejected.append((raw, f"unreadable Parquet file: {problem}", ""))
                    else:
                        readable.append(ReadableFile(raw, "", False))
                    continue
                first_line, error, byte_order_mark = _utf8_check(handle, head)
                if error:
                    preview = head[:RAW_PREVIEW_CHARS].decode("utf-8", errors="replace")
                    rejected.append((raw, error, preview))
                else:
                    readable.append(ReadableFile(raw, first_line, byte_order_mark))
        except FileNotFoundError:
            vanished.append(raw)
        except OSError as err:
            rejected.append((raw, f"unreadable file: {err.strerror}", ""))
    return GateResult(readable, rejected, vanished)


def _utf8_check(handle: BinaryIO, head: bytes) -> tuple[str, str | None, bool]:
    """The first line of a text file whose first bytes are `head` (the rest still to read from `handle`), what
    makes it invalid UTF-8 (None: valid), and whether it holds a byte-order mark. A chunk of pure ASCII with no
    sequence pending from the chunk before is valid as it is, holds no mark, and is not decoded (most RAW files are
    ASCII: the check then reads at memory speed)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunk, offset, first_line, byte_order_mark = head, 0, "", False
    while chunk:
        if offset == 0 or decoder.getstate()[0] or not chunk.isascii():
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as err:
                return first_line, f"not valid UTF-8 at byte {offset + err.start}: {err.reason}", byte_order_mark
            if offset == 0:
                first_line = text.split("\n", 1)[0].rstrip("\r")
            byte_order_mark = byte_order_mark or BYTE_ORDER_MARK in text
        offset += len(chunk)
        chunk = handle.read(1 << 22)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as err:
        return first_line, f"truncated UTF-8 sequence at the end of the file: {err.reason}", byte_order_mark
    return first_line, None, byte_order_mark


def _parquet_problem(handle: BinaryIO, size: int) -> str | None:
    """A Parquet file starts and ends with `PAR1`, and its footer length fits in the file."""
    handle.seek(0)
    head = handle.read(4)
    if size < 12 or head != b"PAR1":
        return "no PAR1 magic at the start"
    handle.seek(size - 8)
    tail = handle.read(8)
    if tail[4:] != b"PAR1":
        return "no PAR1 magic at the end (truncated?)"
    footer = int.from_bytes(tail[:4], "little")
    if footer <= 0 or footer > size - 12:
        return f"footer length {footer} does not fit in {size} bytes"
    return None


def batches_of(files: Sequence[RawFile], max_bytes: int) -> list[list[RawFile]]:
    """`files` in their order, cut into batches of at most `max_bytes` of RAW each (a larger file is a batch of its
    own). The engine's memory while it parses and writes a batch follows the batch's size, so a backlog (a first
    run over months of RAW) loads in bounded steps instead of all at once."""
    batches: list[list[RawFile]] = []
    size = 0
    for raw in files:
        if not batches or size + raw.size > max_bytes:
            batches.append([])
            size = 0
        batches[-1].append(raw)
        size += raw.size
    return batches


def batch_id_for(run_id: str, source: str, files: Sequence[RawFile]) -> str:
    digest = hashlib.sha256("\n".join(f.path for f in files).encode()).hexdigest()[:12]
    return f"{run_id}-{source}-{digest}"


def _string_preview(column: SparkColumn) -> SparkColumn:
    return F.substring(column, 1, RAW_PREVIEW_CHARS)


def _typed(value: SparkColumn, data_type: DataType, name: str) -> tuple[SparkColumn, SparkColumn]:
    """`value` (a string) cast to `data_type`, and a reason when a non-empty value does not parse."""
    cast = value.try_cast(data_type) if not isinstance(data_type, StringType) else value
    bad = value.isNotNull() & (F.trim(value) != "") & cast.isNull()
    reason = F.when(
        bad,
        F.concat(
            F.lit(f"field {name}: cannot parse "), F.to_json(F.array(value)), F.lit(f" as {data_type.simpleString()}")
        ),
    )
    return F.when(F.trim(value) == "", F.lit(None).cast(data_type)).otherwise(cast), reason


def _reasons(reasons: Sequence[SparkColumn]) -> SparkColumn:
    joined = F.concat_ws("; ", *reasons)
    return F.when(joined == "", F.lit(None)).otherwise(joined)


def _required(spec: SourceSpec) -> list[SparkColumn]:
    return [F.when(F.col(name).isNull(), F.lit(f"missing required field {name}")) for name in spec.required]


def _finish(
    frame: DataFrame,
    spec: SourceSpec,
    fields: Sequence[SparkColumn],
    rescued: SparkColumn,
    source_file: SparkColumn,
    raw: SparkColumn,
    structural: SparkColumn | None,
    field_reasons: Sequence[SparkColumn],
    raw_text: Callable[[SparkColumn], SparkColumn] = lambda raw: raw,
) -> DataFrame:
    """The staging shape, from a parser's column expressions over `frame`: the schema's `fields` (aliased to their
    names), `_rescued_data`, `_source_file`, `_reason` (structural, else the field reasons and missing required
    fields), and `_raw` (the record as received, `raw_text(raw)`) for the rows that have a reason only: good rows
    do not carry a copy of themselves, and the text is made for those rows only (a Parquet row's JSON text, made
    for every row, was two thirds of the parse of store sales)."""
    names = spec.schema.fieldNames()
    flags = [f"_field_reason_{i}" for i in range(len(field_reasons))]
    flagged = frame.select(
        *fields,
        rescued.cast("string").alias("_rescued_data"),
        source_file.alias("_source_file"),
        raw.alias("_raw_record"),
        (structural if structural is not None else F.lit(None).cast("string")).alias("_structural"),
        *[r.alias(flag) for r, flag in zip(field_reasons, flags, strict=True)],
    )
    reason = F.coalesce(F.col("_structural"), _reasons([*[F.col(flag) for flag in flags], *_required(spec)]))
    with_reason = flagged.withColumn("_reason", reason)
    return with_reason.select(
        *names,
        "_rescued_data",
        "_source_file",
        F.when(F.col("_reason").isNotNull(), _string_preview(raw_text(F.col("_raw_record")))).alias("_raw"),
        "_reason",
    )


def _rescued(unknown_keys: SparkColumn, as_map: SparkColumn, names: Sequence[str]) -> SparkColumn:
    """A JSON line's fields that the schema does not know, as a JSON object of their values' JSON text; null when
    there are none.

    A few distinct keys with plain names are each read by path, a cheap scan of the line. Any other line is parsed
    whole as a map, which costs as much as the typed parse: on orders at scale 10 (a drifted field on 58% of the
    lines) reading by path took 12-15% less engine time for the whole parse. Each count of keys has its own branch,
    which reads exactly that many paths: one expression for every count (a path per possible key, the keys paired
    with the values by slicing) made a drifted orders file's whole parse take 19% more engine time
    (docs/performance.md)."""
    count = F.size(unknown_keys)
    plain = F.array_join(unknown_keys, ",").rlike(PATH_NAMES)
    # No keys (count 0), or none read (a line over the limit, or no JSON object: its keys are null): nothing to rescue.
    rescued = F.when(~F.coalesce(count > 0, F.lit(False)), F.lit(None).cast("string"))
    for n in range(1, RESCUE_BY_PATH + 1):
        keys = [F.get(unknown_keys, i) for i in range(n)]
        values = [F.call_function("get_json_object", F.col("value"), F.concat(F.lit("$."), key)) for key in keys]
        distinct = F.size(F.array_distinct(unknown_keys)) == n if n > 1 else F.lit(True)
        by_path = F.create_map(*[part for pair in zip(keys, values, strict=True) for part in pair])
        rescued = rescued.when((count == n) & distinct & plain, F.to_json(by_path))
    return rescued.otherwise(F.to_json(F.map_filter(as_map, lambda key, _value: ~key.isin(names))))


def parse_json_lines(
    lines: DataFrame, spec: SourceSpec, max_line_bytes: int, byte_order_marks: bool = True
) -> DataFrame:
    """`lines` has `value`, `_source_file`; returns the schema's fields, `_rescued_data`, `_raw`, `_reason`.

    One typed parse of each line, plus its list of top-level keys (cheap): no keys means not a JSON object; a key
    whose field parsed to null while the line has a value for it is a wrong type; keys outside the schema are
    rescued (`_rescued`). The costlier string-map parse runs only for the rare rows that need it (an unknown key no
    path can read, or telling an object followed by junk from an object without known fields). A line's leading
    byte-order mark is taken off where `byte_order_marks` says the lines may hold one (the gate knows, per file):
    the regular expression costs about a tenth of the parse (docs/performance.md)."""
    names = spec.schema.fieldNames()
    oversized = F.octet_length("value") > max_line_bytes
    if byte_order_marks:
        lines = lines.withColumn("value", F.regexp_replace("value", "^" + BYTE_ORDER_MARK, ""))
    frame = lines.select(
        "value",
        "_source_file",
        F.when(oversized, F.lit(None)).otherwise(F.from_json("value", spec.schema)).alias("_parsed"),
        F.when(oversized, F.lit(None)).otherwise(F.json_object_keys("value")).alias("_keys"),
    )
    nothing_parsed = reduce(lambda a, b: a & b, [F.col(f"_parsed.{name}").isNull() for name in names])
    as_map = F.from_json("value", "map<string,string>")
    malformed = F.col("_keys").isNull() | F.when(nothing_parsed & (F.size("_keys") > 0), as_map.isNull()).otherwise(
        F.lit(False)
    )
    structural = (
        F.when(oversized, F.lit(f"line exceeds {max_line_bytes} bytes"))
        .when(F.trim("value") == "", F.lit("blank line"))
        .when(malformed, F.lit("malformed JSON: not a JSON object"))
    )
    unknown_keys = F.filter("_keys", lambda key: ~key.isin(names))
    rescued = _rescued(unknown_keys, as_map, names)

    def wrong_type(name: str) -> SparkColumn:
        given = F.get_json_object("value", f"$.{name}")
        suspect = F.col(f"_parsed.{name}").isNull() & F.array_contains("_keys", name)
        return F.when(
            suspect,
            F.when(given.isNotNull(), F.concat(F.lit(f"field {name}: wrong type, got "), F.substring(given, 1, 200))),
        )

    return _finish(
        frame,
        spec,
        fields=[F.col(f"_parsed.{name}").alias(name) for name in names],
        rescued=rescued,
        source_file=F.col("_source_file"),
        raw=F.col("value"),
        structural=structural,
        field_reasons=[wrong_type(name) for name in names],
    )


def parse_csv_lines(lines: DataFrame, spec: SourceSpec, header: str, max_line_bytes: int) -> DataFrame:
    """CSV of one file (one header, a byte-order mark before it ignored): fields by header name, quote-aware;
    ragged lines, and the pieces of a record whose quoted value holds a line break, are quarantined."""
    header_names = [h.strip().strip('"') for h in re.findall(CSV_FIELD, header.removeprefix(BYTE_ORDER_MARK))]
    fields = F.regexp_extract_all("value", F.lit(CSV_FIELD), 1)
    rows = lines.filter(F.col("value") != header).select("value", "_source_file", fields.alias("_fields"))

    def cell(position: int) -> SparkColumn:
        raw = F.get(F.col("_fields"), position)
        return F.regexp_replace(F.regexp_replace(raw, r'^"|"$', ""), '""', '"')

    typed, reasons = [], []
    for f in spec.schema.fields:
        if f.name in header_names:
            value, reason = _typed(cell(header_names.index(f.name)), f.dataType, f.name)
        else:
            value, reason = F.lit(None).cast(f.dataType), F.lit(None)
        typed.append(value.alias(f.name))
        reasons.append(reason)
    extra = [(i, h) for i, h in enumerate(header_names) if h not in spec.schema.fieldNames()]
    rescued = F.to_json(F.create_map(*[x for i, h in extra for x in (F.lit(h), cell(i))])) if extra else F.lit(None)
    structural = (
        F.when(F.octet_length("value") > max_line_bytes, F.lit(f"line exceeds {max_line_bytes} bytes"))
        .when(F.trim("value") == "", F.lit("blank line"))
        .when(
            (F.length("value") - F.length(F.regexp_replace("value", '"', ""))) % 2 == 1,
            F.lit("unterminated quoted field: a quoted value holds a line break, which splits the record"),
        )
        .when(
            F.size("_fields") != len(header_names),
            F.concat(F.lit(f"expected {len(header_names)} fields, got "), F.size("_fields").cast("string")),
        )
    )
    return _finish(
        rows,
        spec,
        fields=typed,
        rescued=rescued,
        source_file=F.col("_source_file"),
        raw=F.col("value"),
        structural=structural,
        field_reasons=reasons,
    )


class UnreadableFile(ValueError):
    """A RAW file whose structure the source's schema cannot read at all (it is quarantined whole)."""


def _nested(data_type: DataType) -> bool:
    return isinstance(data_type, ArrayType | MapType | StructType)


def parse_parquet(frame: DataFrame, spec: SourceSpec, source_file: str) -> DataFrame:
    """A Parquet file's rows in the schema's types; a value that does not convert is a row's reason. A column whose
    structure cannot convert at all (a list where a number belongs) makes the file unreadable (`UnreadableFile`)."""
    for f in spec.schema.fields:
        if f.name in frame.columns:
            actual = frame.schema[f.name].dataType
            nested = _nested(actual) or _nested(f.dataType)
            if nested and actual.simpleString() != f.dataType.simpleString():
                raise UnreadableFile(
                    f"field {f.name}: column of type {actual.simpleString()} cannot be read as "
                    f"{f.dataType.simpleString()}"
                )
    present = set(frame.columns)
    typed, reasons = [], []
    for f in spec.schema.fields:
        if f.name not in present:
            typed.append(F.lit(None).cast(f.dataType).alias(f.name))
            continue
        column = F.col(f.name)
        actual = frame.schema[f.name].dataType
        if actual.simpleString() == f.dataType.simpleString():
            typed.append(column.alias(f.name))
        else:
            cast = column.try_cast(f.dataType)
            typed.append(cast.alias(f.name))
            reasons.append(
                F.when(
                    column.isNotNull() & cast.isNull(),
                    F.lit(f"field {f.name}: cannot convert {actual.simpleString()} to {f.dataType.simpleString()}"),
                )
            )
    extra = [c for c in frame.columns if c not in spec.schema.fieldNames()]
    rescued = F.to_json(F.struct(*[F.col(c) for c in extra])) if extra else F.lit(None)
    return _finish(
        frame,
        spec,
        fields=typed,
        rescued=rescued,
        source_file=F.lit(source_file),
        raw=F.struct(*[F.col(c) for c in frame.columns]),
        raw_text=F.to_json,
        structural=None,
        field_reasons=reasons,
    )


class Ingestor:
    """Loads a source's new RAW files into bronze in batches of at most `max_batch_bytes`, each gated, parsed,
    split into bronze and quarantine, and committed to the ledger."""

    def __init__(
        self, lake: Lakehouse, raw_root: Path, run_id: str, max_line_bytes: int, max_batch_bytes: int = MAX_BATCH_BYTES
    ) -> None:
        self.lake = lake
        self.raw_root = raw_root
        self.run_id = run_id
        self.max_line_bytes = max_line_bytes
        self.max_batch_bytes = max_batch_bytes

    def committed_files(self, source: str) -> dict[str, int]:
        """Each ledgered file of the source, with the size it had when it was ingested."""
        ledger = self.lake.read(LEDGER).filter(F.col("source") == source)
        return {r[0]: int(r[1]) for r in ledger.select("file_path", "file_size").collect()}

    def forget(self, spec: SourceSpec, files: Sequence[RawFile], ledgered: bool = True) -> None:
        """Remove every trace of `files` (bronze rows, quarantine rows, ledger entries): for a replay, or to clean
        up after a batch that crashed before its ledger commit (`ledgered=False`: files the ledger does not hold,
        which rarely left anything, so one query looks before any delete runs)."""
        if not files:
            return
        paths = ", ".join(sql_string(f.path) for f in files)
        # The partition predicate prunes bronze to the files' ingestion dates: a long path's column statistics are
        # truncated, so without it every delete scanned all of bronze.
        dates = date_literals({f.ingestion_date for f in files})
        in_bronze = f"ingestion_date IN ({dates}) AND _source_file IN ({paths})"
        in_quarantine = f"source = '{spec.name}' AND source_file IN ({paths})"
        if not ledgered and not self._any_rows((spec.bronze, in_bronze), (QUARANTINE, in_quarantine)):
            return
        self.lake.delete(spec.bronze, in_bronze)
        self.lake.delete(QUARANTINE, in_quarantine)
        if ledgered:
            self.lake.delete(LEDGER, f"source = '{spec.name}' AND file_path IN ({paths})")

    def _any_rows(self, *where: tuple[TableRef, str]) -> bool:
        """Whether any of the tables has a row matching its condition (one query for all of them)."""
        hits = [self.lake.read(ref).filter(condition).select(F.lit(1).alias("hit")) for ref, condition in where]
        return bool(reduce(DataFrame.unionByName, hits).limit(1).collect())

    def ingest(
        self,
        spec: SourceSpec,
        from_date: dt.date | None = None,
        to_date: dt.date | None = None,
        replay: bool = False,
    ) -> IngestResult:
        skipped: list[tuple[str, str]] = []
        listed = list_raw_files(self.raw_root, spec.name, from_date, to_date, skipped)
        for path, why in skipped:
            log.warning("raw path skipped: %s", why, extra={"fields": {"source": spec.name, "path": path}})
        if replay:
            self.forget(spec, listed)
            new = listed
        else:
            done = self.committed_files(spec.name)
            changed = [f for f in listed if f.path in done and done[f.path] != f.size]
            if changed:
                first = changed[0]
                raise RawFileChanged(
                    f"{first.path}: changed after it was ingested ({done[first.path]} bytes then, {first.size} now); "
                    "RAW is immutable: restore the file, or deliver the change as a new file"
                    + (f" (+{len(changed) - 1} more changed)" if len(changed) > 1 else "")
                )
            new = [f for f in listed if f.path not in done]
            # A batch that crashed after writing but before its ledger commit left rows behind: remove them.
            self.forget(spec, new, ledgered=False)
        result = IngestResult(files=len(new), skipped=skipped)
        for batch in batches_of(new, self.max_batch_bytes):
            self._load(spec, batch, result)
        return result

    def _load(self, spec: SourceSpec, files: Sequence[RawFile], result: IngestResult) -> None:
        """One batch of new files: gate, parse once into staging, split into bronze and quarantine, then commit the
        batch's files to the ledger (a crash before the commit is cleaned up by the next run)."""
        batch_id = batch_id_for(self.run_id, spec.name, files)
        gate = gate_files(files, binary=spec.format == "parquet")
        for vanished in gate.vanished:
            log.warning(
                "raw file vanished or changed size since it was listed; it stays unledgered and is retried next run",
                extra={"fields": {"source": spec.name, "file": vanished.path}},
            )
        result.skipped_vanished += [f.path for f in gate.vanished]
        now = utcnow()
        frames, unreadable = [], []
        for readable in gate.readable:
            raw = readable.raw
            try:
                frames.append(
                    self._parse_file(spec, readable).withColumn(
                        "ingestion_date", F.lit(dt.date.fromisoformat(raw.ingestion_date))
                    )
                )
            except UnreadableFile as err:  # quarantined whole; the source's other files load
                unreadable.append((raw, f"unreadable file: {err}", ""))
        quarantine_schema = self.lake.contracts.get(QUARANTINE).schema
        rejected_rows = [
            (spec.name, "bronze", batch_id, raw.path, preview, reason, self.run_id, now)
            for raw, reason, preview in [*gate.rejected, *unreadable]
        ]
        rejected = self.lake.spark.createDataFrame(rejected_rows, quarantine_schema) if rejected_rows else None
        loaded: dict[str, int] = {}
        quarantined: dict[str, int] = {raw.path: 1 for raw, _reason, _preview in [*gate.rejected, *unreadable]}
        if frames:
            parsed = reduce(DataFrame.unionByName, frames)
            self.lake.write(spec.staging, parsed, mode="overwrite")
            staged = self.lake.read(spec.staging)
            good = staged.filter(F.col("_reason").isNull()).select(
                *spec.schema.fieldNames(),
                "_rescued_data",
                F.lit(now).cast("timestamp").alias("_ingestion_ts"),
                "_source_file",
                F.lit(batch_id).alias("_batch_id"),
                "ingestion_date",
            )
            bad = staged.filter(F.col("_reason").isNotNull()).select(
                F.lit(spec.name).alias("source"),
                F.lit("bronze").alias("layer"),
                F.lit(batch_id).alias("batch_id"),
                F.col("_source_file").alias("source_file"),
                F.col("_raw").alias("raw"),
                F.col("_reason").alias("reason"),
                F.lit(self.run_id).alias("run_id"),
                F.lit(now).cast("timestamp").alias("quarantined_at"),
            )
            self.lake.write(spec.bronze, good)
            self.lake.write(QUARANTINE, bad if rejected is None else bad.unionByName(rejected))
            # Per-file counts from the staged batch (never from what a write reports).
            for row in staged.groupBy("_source_file", F.col("_reason").isNull().alias("ok")).count().collect():
                target = loaded if row["ok"] else quarantined
                target[row["_source_file"]] = target.get(row["_source_file"], 0) + int(row["count"])
        elif rejected is not None:
            self.lake.write(QUARANTINE, rejected)
        committed_at = utcnow()
        ledger_rows = [
            {
                "source": spec.name,
                "file_path": raw.path,
                "file_size": raw.size,
                "ingestion_date": raw.ingestion_date,
                "batch_id": batch_id,
                "rows_loaded": loaded.get(raw.path, 0),
                "rows_quarantined": quarantined.get(raw.path, 0),
                "committed_at": committed_at,
            }
            for raw in files
            if raw not in gate.vanished
        ]
        self.lake.append_rows(LEDGER, ledger_rows)
        result.rows_loaded += sum(loaded.values())
        result.rows_quarantined += sum(quarantined.values())
        result.rows_in = result.rows_loaded + result.rows_quarantined

    def _parse_file(self, spec: SourceSpec, readable: ReadableFile) -> DataFrame:
        path = readable.raw.path
        if spec.format == "parquet":
            return parse_parquet(self._read_parquet(path), spec, path)
        lines = self._read_lines(path).withColumn("_source_file", F.lit(path))
        if spec.format == "json":
            return parse_json_lines(lines, spec, self.max_line_bytes, readable.byte_order_mark)
        return parse_csv_lines(lines, spec, readable.first_line, self.max_line_bytes)

    def _read_lines(self, path: str) -> DataFrame:
        """A text file's lines (`value`). Engines read a path as a glob pattern, so a name with glob characters
        (`orders[1].jsonl`, `orders*.jsonl`) would read other files, or none: such a file is read here instead."""
        if not GLOB_CHARACTERS.intersection(path):
            return self.lake.spark.read.text(path)
        with open(path, encoding="utf-8", newline="") as handle:
            lines = LINE_BREAK.split(handle.read())
        if lines and lines[-1] == "":
            lines.pop()  # the line break that ends the last line starts no line of its own
        return self.lake.spark.createDataFrame([(line,) for line in lines], "value string")

    def _read_parquet(self, path: str) -> DataFrame:
        """A Parquet file; one whose name has glob characters is read here (see `_read_lines`)."""
        if not GLOB_CHARACTERS.intersection(path):
            return self.lake.spark.read.parquet(path)
        import pyarrow.parquet as pq  # on every engine this path reaches: Databricks runtimes and the local group

        return self.lake.spark.createDataFrame(pq.read_table(path))
