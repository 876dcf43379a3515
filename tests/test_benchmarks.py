"""The benchmark's arithmetic: the cost on paper and the single-machine limits from a measured curve, the CPU-seconds
beside the wall times, the orders path step by step against the reference, and the page sections it writes."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import replace

import pytest

from retailflow.benchmarks import __main__ as bench
from retailflow.benchmarks import paper
from retailflow.benchmarks.__main__ import (
    ORDERS_PATH,
    Measured,
    cpu_against_reference_rows,
    cpu_of_the_day_rows,
    history,
    history_markdown,
    measure,
    publish,
    usage_figures,
    warm,
)
from retailflow.benchmarks.steps import (
    OUTSIDE,
    STEPS,
    TreeCpu,
    attempts_of,
    split_between,
    step_figures,
    step_rows,
)
from retailflow.benchmarks.usage import Usage, idle_share
from retailflow.workloads.retail.graph import PIPELINE

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


def test_the_history_hands_over_each_point_as_it_is_measured_so_a_stopped_run_keeps_the_points_before(
    monkeypatch, tmp_path
):
    runs: list[tuple[str, dt.date]] = []

    def fake_run(raw, lakehouse, to_date=None, only=()):
        lakehouse.mkdir(parents=True, exist_ok=True)
        runs.append((lakehouse.name, to_date))
        if to_date == bench.START + dt.timedelta(days=30) and lakehouse.name == "full":
            raise RuntimeError("stopped during the 30-day history's full run")
        seconds = 10.0 if lakehouse.name == "lake" else 40.0
        return Measured(seconds, 900.0, "", Usage(seconds), TreeCpu([])), {"tasks": [{"task": "t", "seconds": 1.0}]}

    monkeypatch.setattr(bench, "generate_raw", lambda raw, scale, days: {"days": days})
    monkeypatch.setattr(bench, "run_pipeline", fake_run)
    monkeypatch.setattr(bench, "warm", lambda raw, day=None: None)
    monkeypatch.setattr(bench, "machine", lambda: {})
    kept: list[list[tuple[int, float]]] = []
    with pytest.raises(RuntimeError, match="30-day"):
        history(
            10,
            [7, 30],
            2,
            tmp_path,
            lambda curve: kept.append([(p["history_days"], p["fraction"]) for p in curve["points"]]),
        )
    assert kept == [[(7, 0.25)]]  # the 7-day point (a 10-s day, a 40-s full run) before the 30-day runs began
    seven = bench.START + dt.timedelta(days=7)
    assert runs[:5] == [
        ("lake", seven - dt.timedelta(days=1)),
        ("lake", seven),
        ("full", seven),
        ("lake", seven),
        ("full", seven),
    ]


def test_the_history_table_puts_each_days_cost_beside_the_full_run_of_its_days_and_lists_the_tasks_over_a_second():
    def point(days, day, runs, full, tasks):
        return {
            "history_days": days,
            "day_seconds": day,
            "day_seconds_runs": runs,
            "day_peak_rss_mb": 900,
            "full_seconds": full,
            "full_seconds_runs": [full, full + 2],
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
    assert "3 times; the medians; each run" in history_markdown({**curve, "repeat": 3})
    assert "2 times; the medians (of an even number of runs, the slower of the middle two); each run" in lines[0]
    assert "| 7 | 40.0 (40.0, 41.0) | 900 | 80.0 (80.0, 82.0) | 0.5 |" in lines
    assert "| 15 | 42.0 (42.0, 43.5) | 900 | 168.0 (168.0, 170.0) | 0.25 |" in lines
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


def test_a_tasks_seconds_and_cpu_are_read_between_its_start_and_end_and_split_evenly_with_a_task_beside_it():
    trace = TreeCpu()
    for when, used in [(0, 0.0), (2, 4.0), (4, 8.0), (6, 10.0), (8, 12.0), (10, 12.0)]:
        trace.add(when, used)
    assert trace.at(7) == 11.0  # between two samples, on the line joining them
    assert (trace.at(-1), trace.at(11)) == (0.0, 12.0)
    # a alone 0-2 (4), beside b 2-4 (half of 4 each); b alone 4-6 (2); c alone 7-9 (11 to 12).
    ran = [("a", 0, 4), ("b", 2, 6), ("c", 7, 9)]
    assert split_between(ran, lambda start, end: trace.at(end) - trace.at(start)) == {"a": 6.0, "b": 4.0, "c": 1.0}
    # The wall time the same way: the shares add up to the 8 s some task ran.
    assert split_between(ran, lambda start, end: end - start) == {"a": 3.0, "b": 3.0, "c": 2.0}
    # A process that ended but is not yet reaped counts nowhere for a moment: the samples never go back.
    trace.add(11, 5.0)
    assert trace.samples[-1] == (11, 12.0)


def test_a_measured_command_samples_the_cpu_seconds_of_its_process_tree_while_it_runs():
    burn = "import time\nwhile time.process_time() < 0.6: pass"
    measured = measure([sys.executable, "-c", burn])
    times = [when for when, _ in measured.cpu.samples]
    assert times == sorted(times) and len(times) >= 3
    assert measured.cpu.samples[-1][1] >= 0.3  # sampled every 100 ms, the last samples may miss the end


def test_each_task_of_the_orders_path_belongs_to_one_step_of_the_reference_and_is_a_task_of_the_graph():
    assert len(ORDERS_PATH) == len(set(ORDERS_PATH)) == 17
    assert set(ORDERS_PATH) <= set(PIPELINE.tasks)


def test_the_step_table_sets_each_reference_step_beside_its_tasks_and_what_the_run_spent_outside_them():
    tasks = {name: {"seconds": 1.0, "cpu_seconds": 1.5} for names in STEPS.values() for name in names}
    tasks["bronze_orders"] = {"seconds": 20.0, "cpu_seconds": 38.0}
    seconds = dict.fromkeys(STEPS, 1.0) | {"bronze_orders": 18.0}
    cpu = dict.fromkeys(STEPS, 2.0) | {"bronze_orders": 40.0}
    steps = step_figures(tasks, run_seconds=40.0, run_cpu=70.0, reference_seconds=seconds, reference_cpu=cpu)
    assert steps["bronze_orders"] == {
        "duckdb_seconds": 18.0,
        "duckdb_cpu_seconds": 40.0,
        "project_seconds": 20.0,
        "project_cpu_seconds": 38.0,
    }
    assert steps["payments"]["project_cpu_seconds"] == 3.0  # bronze_payments and silver_payments
    # 17 tasks: bronze_orders and 16 others of a second each (1.5 CPU-seconds each).
    assert steps[OUTSIDE] == {
        "duckdb_seconds": 0.0,
        "duckdb_cpu_seconds": 0.0,
        "project_seconds": 4.0,
        "project_cpu_seconds": 8.0,
    }
    rows = step_rows(steps)
    assert rows[2] == "| bronze_orders | bronze_orders | 18.0, 20.0 | 40.0, 38.0 | -2.0 |"
    assert rows[4] == "| payments | bronze_payments, silver_payments | 1.0, 2.0 | 2.0, 3.0 | +1.0 |"
    assert rows[-1] == f"| {OUTSIDE} | - | 0.0, 4.0 | 0.0, 8.0 | +8.0 |"
    assert step_rows({}) == []  # a report measured before the steps were


def test_a_tasks_attempts_come_from_the_run_log_rows_of_its_run():
    at = dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC)
    rows = [
        {"run_id": "r1", "task": "bronze_orders", "started_at": at, "finished_at": at + dt.timedelta(seconds=20)},
        {"run_id": "r0", "task": "bronze_orders", "started_at": at, "finished_at": at + dt.timedelta(seconds=9)},
    ]
    assert attempts_of(rows, "r1") == [("bronze_orders", at.timestamp(), at.timestamp() + 20)]


def test_a_retried_task_counts_the_time_of_each_of_its_attempts():
    # silver_orders failed at 0-3 beside bronze_payments (0-4), then ran again alone at 5-8.
    attempts = [("silver_orders", 0, 3), ("bronze_payments", 0, 4), ("silver_orders", 5, 8)]
    assert split_between(attempts, lambda start, end: end - start) == {"silver_orders": 4.5, "bronze_payments": 2.5}


def test_warming_reads_every_raw_file_or_only_those_delivered_on_the_day(tmp_path, monkeypatch):
    import pathlib

    for source in ("orders", "payments"):
        for day in ("2026-01-05", "2026-01-06"):
            folder = tmp_path / source / f"ingestion_date={day}"
            folder.mkdir(parents=True)
            (folder / f"{source}-{day}.jsonl").write_text("{}\n")
    (tmp_path / "_manifest.json").write_text("{}")
    read: list[str] = []
    opened = pathlib.Path.open

    def recording(path, *args, **kwargs):
        read.append(path.relative_to(tmp_path).as_posix())
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", recording)
    warm(tmp_path, day=dt.date(2026, 1, 6))
    assert read == [
        "orders/ingestion_date=2026-01-06/orders-2026-01-06.jsonl",
        "payments/ingestion_date=2026-01-06/payments-2026-01-06.jsonl",
    ]
    read.clear()
    warm(tmp_path)
    assert len(read) == 5 and "_manifest.json" in read
