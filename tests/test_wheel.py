"""The runtime wheel: deterministic, free of the deploy toolchain, installable, with a working entry point."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT

from retailflow.wheel import build_wheel, wheel_bytes

TOOLCHAIN = ("cdktf", "jsii", "checkov", "pysail", "cdktf-cdktf-provider")


def test_same_sources_same_bytes_and_a_changed_transform_changes_the_hash(tmp_path: Path):
    assert wheel_bytes() == wheel_bytes()
    copy = tmp_path / "workloads"
    shutil.copytree(ROOT / "workloads", copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = build_wheel(tmp_path / "a", copy)
    silver = copy / "retail" / "silver.py"
    silver.write_text(silver.read_text().replace('MONEY = "decimal(18,2)"', 'MONEY = "decimal(18, 2)"'))
    changed = build_wheel(tmp_path / "b", copy)
    assert original.short_hash != changed.short_hash
    assert original.path.parent.name == original.short_hash


def test_metadata_requires_nothing_from_the_deploy_toolchain(tmp_path: Path):
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel.path) as archive:
        metadata = archive.read("retailflow_runtime-0.1.0.dist-info/METADATA").decode()
        names = archive.namelist()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist")]
    assert requires == ['Requires-Dist: pyspark>=3.5; extra == "spark"']
    assert not any(tool in metadata for tool in TOOLCHAIN)
    assert all(n.startswith(("retailflow/workloads/", "retailflow/__init__.py", "retailflow_runtime-")) for n in names)


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
