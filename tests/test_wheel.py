"""The runtime wheel: deterministic, free of the deploy toolchain, installable, with a working entry point."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT

from retailflow.wheel import build_wheel

TOOLCHAIN = ("cdktf", "jsii", "checkov", "pysail", "cdktf-cdktf-provider")
# Exactly what a Databricks job runs: the runtime framework and the retail workloads, nothing of the local engine
# (Sail process, memory governor, lakehouse lock), the generator, the demo or the deploy toolchain.
WHEEL_FILES = {
    "retailflow/workloads/__init__.py",
    *(
        f"retailflow/workloads/retail/{m}.py"
        for m in ("__init__", "access", "contracts", "gold", "graph", "landing", "silver", "sources", "tasks")
    ),
    *(
        f"retailflow/workloads/runtime/{m}.py"
        for m in (
            "__init__",
            "access",
            "access_task",
            "context",
            "contracts",
            "engine",
            "entrypoint",
            "expectations",
            "graph",
            "group_window",
            "ingest",
            "joins",
            "landing",
            "landing_task",
            "latest",
            "ops",
            "pipeline",
            "refs",
            "rest_source",
            "runner",
            "scd2",
            "secrets",
            "sql_source",
            "strategies",
            "tables",
        )
    ),
    *(f"retailflow_runtime-0.1.0.dist-info/{f}" for f in ("METADATA", "WHEEL", "entry_points.txt", "RECORD")),
}


def test_the_same_sources_give_the_same_bytes_wherever_they_are_and_a_changed_transform_another_hash(tmp_path: Path):
    first, second = build_wheel(tmp_path / "a"), build_wheel(tmp_path / "b")
    assert first.path.read_bytes() == second.path.read_bytes()
    copy = tmp_path / "workloads"
    shutil.copytree(ROOT / "workloads", copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert build_wheel(tmp_path / "c", copy).sha256 == first.sha256  # another folder, other file times
    silver = copy / "retail" / "silver.py"
    silver.write_text(silver.read_text().replace('MONEY = "decimal(18,2)"', 'MONEY = "decimal(18, 2)"'))
    changed = build_wheel(tmp_path / "d", copy)
    assert first.short_hash != changed.short_hash
    assert first.path.parent.name == first.short_hash


def test_the_wheel_holds_only_what_a_job_runs_and_requires_nothing_from_the_toolchain(tmp_path: Path):
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel.path) as archive:
        metadata = archive.read("retailflow_runtime-0.1.0.dist-info/METADATA").decode()
        names = set(archive.namelist())
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist")]
    assert requires == ["Requires-Dist: pyspark>=3.5; extra == 'spark'"]
    assert not any(tool in metadata for tool in TOOLCHAIN)
    assert names == WHEEL_FILES


def test_installs_into_a_clean_venv_and_the_entry_point_answers_help(tmp_path: Path):
    wheel = build_wheel(tmp_path / "wheel")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps", "--no-index", str(wheel.path)]
    subprocess.run(pip, check=True)
    result = subprocess.run(
        [str(venv / "bin" / "retailflow-task"), "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "--task" in result.stdout and "--catalog" in result.stdout
