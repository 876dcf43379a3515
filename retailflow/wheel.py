"""Build the job wheel (what Databricks jobs install) from `workloads/` with its own build backend (hatchling,
`workloads/pyproject.toml`), reproducibly: the same sources give the same bytes, so its content hash names it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from retailflow.project import project_root

DISTRIBUTION = "retailflow_runtime"
ENTRY_POINT = "retailflow-task"
# Zip timestamps of every entry (1980-01-01, the earliest a zip can hold): the bytes do not depend on file times.
SOURCE_DATE_EPOCH = "315532800"


class WheelBuildFailed(RuntimeError):
    """The build backend failed; the message carries its output."""


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


def workloads_dir() -> Path:
    return project_root() / "workloads"


def build_wheel(out_dir: Path, source: Path | None = None) -> BuiltWheel:
    """Build the wheel of `source` (default: the checkout's `workloads/`) and keep it under `out_dir/<hash>/`, so
    each content gets its own path."""
    source = source or workloads_dir()
    with tempfile.TemporaryDirectory(prefix="retailflow-wheel-") as scratch:
        # A copy, so the build sees exactly the sources (no caches) and writes nothing into the checkout.
        tree = Path(scratch) / "src"
        shutil.copytree(source, tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "dist", "build"))
        dist = Path(scratch) / "dist"
        result = subprocess.run(
            [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(dist)],
            cwd=tree,
            env={**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
            capture_output=True,
            text=True,
            check=False,
        )
        built = sorted(dist.glob("*.whl"))
        if result.returncode != 0 or len(built) != 1:
            raise WheelBuildFailed(f"building the job wheel from {source} failed:\n{result.stdout}{result.stderr}")
        data = built[0].read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        folder = out_dir / digest[:16]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / built[0].name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return BuiltWheel(path, digest)
