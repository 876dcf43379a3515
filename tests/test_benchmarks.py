"""The benchmark's arithmetic: the cost on paper and the single-machine limits from a measured curve, the CPU-seconds
beside the wall times, and the page sections it writes."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from retailflow.benchmarks import paper
from retailflow.benchmarks.__main__ import (
    cpu_against_reference_rows,
    cpu_of_the_day_rows,
    history_markdown,
    measure,
    publish,
    usage_figures,
)
from retailflow.benchmarks.usage import Usage, idle_share

CURVE = paper.Curve(cores=2, scale=10, day_seconds=60, full_seconds=120, full_days=8, fitted=0.8)


def test_time_against_scale_is_fitted_on_the_two_largest_scales_and_extrapolated_at_least_linearly():
    assert paper.fitted_exponent([(1, 9.0), (10, 100.0), (30, 300.0)]) == pytest.approx(1.0)
    assert paper.fitted_exponent([(10, 100.0), (40, 200.0)]) == pytest.approx(0.5)
    assert paper.fitted_exponent([(10, 100.0)]) == 1.0
    assert CURVE.exponent == 1.0  # fitted 0.8: fixed costs that a thousandfold scale no longer hides
    assert replace(CURVE, fitted=1.2).exponent == 1.2


def test_a_day_on_databricks_adds_workers_until_it_ends_within_the_target_and_bills_the_start_and_the_driver():
    small, large = (paper.day_on_databricks(CURVE, s, paper.Assumptions()) for s in (100, 1000))
    # 60 s on 2 cores at scale 10 is 1,200 core-seconds at 100: one worker of 4 cores, 5 minutes.
    assert (small["core_hours"], small["workers"], small["wall_minutes"]) == (0.33, 1, 5.0)
    assert small["node_hours"] == 0.33  # driver + worker, each 5 minutes running + 5 minutes starting
    # 12,000 core-seconds at 1000 need two workers to end within 30 minutes: 25 minutes.
    assert (large["workers"], large["wall_minutes"], large["node_hours"]) == (2, 25.0, 1.5)
    assert large["usd_per_day"] == round(1.5 * (0.23 + 1.0 * 2.0 * 0.30), 2)


def test_one_machine_stops_where_a_full_reprocess_of_the_history_no_longer_fits_a_night():
    limits = paper.single_machine_limits(CURVE, paper.Assumptions())
    assert limits == {"day_within_budget": 600.0, "full_reprocess_within_budget": 52.6}
    text = paper.markdown(paper.on_paper(CURVE))
    assert "up to scale 600" in text and "only up to scale 52.6" in text and "| 1000 | 3.33 | 2 | 25.0 |" in text


def test_the_benchmark_writes_each_section_between_its_own_markers(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text("a\n<!-- BEGIN scaling -->\nold\n<!-- END scaling -->\nb\n")
    publish("| scale |\n", page, "scaling")
    assert page.read_text() == "a\n<!-- BEGIN scaling -->\n| scale |\n<!-- END scaling -->\nb\n"
    with pytest.raises(SystemExit, match="no paper markers"):
        publish("x\n", page, "paper")


def test_the_history_table_puts_each_days_cost_beside_the_full_run_of_its_days_and_lists_the_tasks_over_a_second():
    def point(days, day, runs, full, tasks):
        return {
            "history_days": days,
            "day_seconds": day,
            "day_seconds_runs": runs,
            "day_peak_rss_mb": 900,
            "full_seconds": full,
            "fraction": round(day / full, 3),
            "tasks": tasks,
        }

    curve = {
        "scale": 10,
        "repeat": 2,
        "date": "2026-12-02",
        "points": [
            point(7, 40.0, [40.0, 41.0], 80.0, {"dbt_marts": 7.5, "silver_orders": 3.5, "gold_dim_store": 0.1}),
            point(15, 42.0, [42.0, 43.5], 168.0, {"dbt_marts": 7.7, "silver_orders": 4.0, "gold_dim_store": 0.1}),
        ],
    }
    lines = history_markdown(curve).splitlines()
    assert "| 7 | 40.0 (40.0, 41.0) | 900 | 80.0 | 0.5 |" in lines
    assert "| 15 | 42.0 (42.0, 43.5) | 900 | 168.0 | 0.25 |" in lines
    assert "| task | after 7 days | after 15 days |" in lines
    assert lines[-2:] == ["| dbt_marts | 7.5 | 7.7 |", "| silver_orders | 3.5 | 4.0 |"]  # none under a second


def test_the_idle_share_is_the_idle_and_disk_wait_time_of_all_the_machines_cpu_time_between_two_samples():
    # user, nice, system, idle, iowait, irq, softirq, steal: 100 + 50 busy, 200 idle, 50 waiting on the disk.
    before, after = [100, 0, 50, 800, 50, 0, 0, 5], [200, 0, 100, 1000, 100, 0, 0, 5]
    assert idle_share(before, after) == 0.625
    assert idle_share(None, after) is None  # a machine without /proc/stat
    assert idle_share(before, before) is None


def test_a_measured_command_counts_the_cpu_seconds_of_the_processes_it_started_and_waited_for():
    burn = "import time\nwhile time.process_time() < 0.4: pass"
    starter = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {burn!r}], check=True)"
    measured = measure([sys.executable, "-c", starter])
    assert measured.usage.cpu_seconds >= 0.4  # the grandchild's loop, counted through the child that waited for it


def test_the_benchmark_table_puts_the_cpu_seconds_beside_the_wall_times_and_says_how_idle_the_machine_was():
    orders = [Usage(140.06, 0.534), Usage(123.31, 0.126), Usage(130.0, None)]
    reference = [Usage(71.3, 0.208), Usage(62.94, 0.102), Usage(65.0, 0.1)]
    report = {
        "project": {**usage_figures("orders_path_", orders), **usage_figures("", [Usage(250.0), Usage(260.0)])},
        "duckdb": usage_figures("", reference),
        "ratio_cpu_project_to_duckdb": 2.0,
    }
    assert report["project"]["orders_path_cpu_seconds"] == 130.0
    assert cpu_against_reference_rows(report) == [
        "| CPU-seconds, median (runs): project orders path / DuckDB reference | 130.0 s (140.06, 123.31, 130.0) / "
        "65.0 s (71.3, 62.94, 65.0) = 2.0 |",
        "| the machine's CPU time idle or waiting on the disk, per run: project orders path; DuckDB reference | "
        "53%, 13%, n/a; 21%, 10%, 10% |",
    ]
    day = {**usage_figures("day_", [Usage(60.0), Usage(64.0), Usage(70.0)]), "fraction_cpu": 0.25}
    assert cpu_of_the_day_rows(day, report["project"]) == [
        "| incremental day / full reprocess in CPU-seconds, medians | 64.0 s / 255.0 s = 0.25 |"
    ]
    # A report measured before CPU-seconds were has no such rows.
    assert cpu_against_reference_rows({"project": {}, "duckdb": {"seconds": 40.0}}) == []
    assert cpu_of_the_day_rows({"fraction": 0.4}, {}) == []
