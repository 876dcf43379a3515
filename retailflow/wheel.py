"""Build the runtime wheel that Databricks jobs install: `workloads/` as `retailflow.workloads`, nothing else.

Deterministic (same sources, same bytes): sorted entries, fixed timestamps and permissions. It requires nothing
(pyspark is provided by the Databricks runtime) and carries the `retailflow-task` entry point.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

DISTRIBUTION = "retailflow_runtime"
VERSION = "0.1.0"
ENTRY_POINT = "retailflow-task"
ENTRY_TARGET = "retailflow.workloads.runtime.entrypoint:main"
WORKLOADS_DIR = Path(__file__).resolve().parents[1] / "workloads"
ROOT_INIT = '"""RetailFlow runtime (installed on Databricks): retailflow.workloads only."""\n'
EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BuiltWheel:
    path: Path
    sha256: str

    @property
    def short_hash(self) -> str:
        return self.sha256[:16]

    @property
    def filename(self) -> str:
        return self.path.name


def _sources(workloads_dir: Path) -> list[tuple[str, bytes]]:
    files = [("retailflow/__init__.py", ROOT_INIT.encode())]
    for path in sorted(workloads_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        files.append((f"retailflow/workloads/{path.relative_to(workloads_dir).as_posix()}", path.read_bytes()))
    return files


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_bytes(workloads_dir: Path = WORKLOADS_DIR) -> bytes:
    import io

    dist_info = f"{DISTRIBUTION}-{VERSION}.dist-info"
    metadata = (
        "Metadata-Version: 2.1\n"
        f"Name: {DISTRIBUTION.replace('_', '-')}\n"
        f"Version: {VERSION}\n"
        "Summary: RetailFlow medallion runtime (transforms and their framework) for Databricks jobs\n"
        "Requires-Python: >=3.10\n"
        "Provides-Extra: spark\n"
        'Requires-Dist: pyspark>=3.5; extra == "spark"\n'
    )
    entries = _sources(workloads_dir) + [
        (f"{dist_info}/METADATA", metadata.encode()),
        (
            f"{dist_info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: retailflow\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (f"{dist_info}/entry_points.txt", f"[console_scripts]\n{ENTRY_POINT} = {ENTRY_TARGET}\n".encode()),
        (f"{dist_info}/top_level.txt", b"retailflow\n"),
    ]
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    record += f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def build_wheel(out_dir: Path, workloads_dir: Path = WORKLOADS_DIR) -> BuiltWheel:
    """Write the wheel under `out_dir/<hash>/` (so each content gets its own path) and return it."""
    data = wheel_bytes(workloads_dir)
    digest = hashlib.sha256(data).hexdigest()
    folder = out_dir / digest[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{DISTRIBUTION}-{VERSION}-py3-none-any.whl"
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return BuiltWheel(path, digest)
