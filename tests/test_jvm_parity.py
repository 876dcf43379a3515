"""The project's transforms give the same answers on real Apache Spark (classic JVM PySpark, local[2], Parquet) as
on the local engine: online daily revenue and the SCD2 customer dimension (a small version of the benchmark)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess

import pytest
from conftest import ROOT

from benchmarks.__main__ import as_text, project_results
from benchmarks.jvm import command
from retailflow.generator import GeneratorSettings, generate
from retailflow.local_run import LocalRunSettings, run_local


@pytest.mark.skipif(shutil.which("java") is None, reason="JVM Spark needs a Java runtime")
def test_transforms_agree_on_jvm_spark(engine, tmp_path):
    raw = tmp_path / "raw"
    generate(raw, GeneratorSettings(scale=0.003, days=2, seed=5, start_date=dt.date(2026, 4, 6)))
    settings = LocalRunSettings(lakehouse=tmp_path / "lake", raw=raw)
    assert run_local(settings, engine=engine).ok
    ours = project_results(settings.lakehouse)
    out = tmp_path / "jvm.json"
    result = subprocess.run(
        command(raw, tmp_path / "stage", out),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    jvm = json.loads(out.read_text())
    assert as_text(jvm["daily_revenue_online"]) == as_text(ours["revenue"]) and ours["revenue"]
    assert as_text(jvm["dim_customer"]) == as_text(ours["dim"]) and ours["dim"]
