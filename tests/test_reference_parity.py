"""The benchmark's references give the answers the project gives, on the same small RAW (small versions of the
benchmark): the project's transforms on real Apache Spark (classic JVM PySpark, local[2], Parquet), and the DuckDB
implementation of the orders path the project is timed against."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from retailflow.benchmarks import duckdb_reference
from retailflow.benchmarks.__main__ import as_text, online, project_results
from retailflow.benchmarks.jvm import command
from retailflow.benchmarks.steps import STEPS
from retailflow.local.generator import GeneratorSettings, generate
from retailflow.local.run import LocalRunSettings, run_local


@pytest.fixture(scope="module")
def project_run(engine, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """RAW, and the project's results over it."""
    base = tmp_path_factory.mktemp("references")
    raw = base / "raw"
    # Four days: later days carry corrections of earlier ones (moved orders, late refunds, store-sale corrections).
    generate(raw, GeneratorSettings(scale=0.003, days=4, seed=5, start_date=dt.date(2026, 4, 6)))
    settings = LocalRunSettings(lakehouse=base / "lake", raw=raw)
    assert run_local(settings, engine=engine).ok
    return raw, project_results(settings.lakehouse)


@pytest.mark.skipif(shutil.which("java") is None, reason="JVM Spark needs a Java runtime")
def test_transforms_agree_on_jvm_spark(project_run, tmp_path):
    raw, ours = project_run
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
    assert as_text(jvm["daily_revenue_online"]) == as_text(online(ours["revenue"])) and ours["revenue"]
    assert as_text(jvm["dim_customer"]) == as_text(ours["dim"]) and ours["dim"]


def test_duckdb_reference_gives_the_project_results(project_run, tmp_path):
    raw, ours = project_run
    reference = duckdb_reference.run(raw, out=tmp_path / "duckdb")
    assert {channel for _day, channel, *_rest in ours["revenue"]} == {"online", "store"}
    assert as_text(reference.daily_revenue) == as_text(ours["revenue"])
    assert as_text(reference.dim_customer) == as_text(ours["dim"]) and ours["dim"]
    assert reference.orders_quarantined == ours["orders_quarantined"] > 0
    assert set(reference.seconds) == {
        "bronze_orders",
        "silver_orders",
        "payments",
        "store_sales",
        "gold_daily_revenue",
        "gold_dim_customer",
    }
    # The benchmark sets each step beside the project's tasks that do its work (`steps.STEPS`), in CPU-seconds too.
    assert set(reference.cpu_seconds) == set(reference.seconds) == set(STEPS)
    assert all(cpu > 0 for cpu in reference.cpu_seconds.values())
    written = {p.name for p in (tmp_path / "duckdb").iterdir()}
    assert {"bronze_orders.parquet", "store_lines.parquet", "daily_revenue.parquet"} <= written
