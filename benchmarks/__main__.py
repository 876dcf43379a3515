"""RetailFlow benchmarks: `python -m retailflow.benchmarks run --scale 10` (or `make bench SCALE=10`).

Generates RAW with the project's generator (8 days), runs the project's graph locally, the DuckDB reference and
the same transforms on JVM PySpark over the same RAW, checks they agree, measures the cost of an incremental day
(the whole graph, the day, the orders path alone and the DuckDB reference: medians of `--repeat` runs, 3 by
default; each full run is followed by a day and an orders-path run, so they are timed under the same conditions),
and times `retailflow synth`. Prints a table, writes JSON and markdown under benchmarks/results/ and puts the
table into docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

from retailflow.benchmarks import duckdb_reference, paper
from retailflow.benchmarks.steps import STEPS, TreeCpu, attempts_of, split_between, step_figures, step_rows
from retailflow.benchmarks.usage import Usage, measuring
from retailflow.project import project_root

ROOT = project_root()
# The manifest's counts of what a file holds: records and the lines the defects add (the other counts are kinds of
# records, counted twice otherwise).
WRITTEN = ("records", "duplicates", "malformed", "missing_required", "redelivered")
BIN = Path(sys.executable).parent
START = dt.date(2026, 1, 5)
# The tasks that build daily revenue and the customer dimension, run alone and timed against the DuckDB reference:
# those of its steps (`steps.STEPS`). Online and store sales share `gold.fact_sales`, so its store-sales inputs run
# too, and the reference builds the store channel of the revenue mart as well.
ORDERS_PATH = tuple(task for tasks in STEPS.values() for task in tasks)


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    stdout: str
    usage: Usage
    cpu: TreeCpu  # the process tree's CPU-seconds, sampled with its memory


def measure(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Wall time, the peak RSS of the process tree (the JVM is a child of its Python driver), sampled every
    100 ms, and its CPU-seconds."""
    import psutil

    os.sync()  # the previous step's written files are on disk, so their writeback does not land in this timing
    with measuring("children") as usage:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        output: dict[str, str] = {}
        reader = threading.Thread(target=lambda: output.update(zip(("out", "err"), process.communicate(), strict=True)))
        reader.start()
        peak, root, cpu = 0, psutil.Process(process.pid), TreeCpu()
        while reader.is_alive():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
                cpu.add(time.time(), sum(_cpu_used(p) for p in tree))
            except psutil.Error:
                pass
            reader.join(0.1)
        seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({process.returncode}): {output.get('err', '')[-1500:]}\n"
            f"{output.get('out', '')[-3000:]}"  # a run's JSON summary names the failed tasks and their errors
        )
    return Measured(seconds, peak / 2**20, output.get("out", ""), usage, cpu)


def _cpu_used(process: Any) -> float:
    """A process's CPU-seconds and those of the children it has waited for (0 for one that just ended)."""
    import psutil

    try:
        t = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(t.user + t.system + t.children_user + t.children_system)


def machine() -> dict[str, Any]:
    import psutil

    packages = {p: version(p) for p in ("pyspark", "pysail", "duckdb", "deltalake", "cdktf", "checkov")}
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "java": subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0],
        **packages,
    }


def warm(raw: Path, day: dt.date | None = None) -> None:
    """Every RAW file read once, so a timed run starts with them in the page cache as far as the machine holds
    them. This machine keeps about 6 GB of files cached whatever its free memory, and its disk's speed swings: an
    orders path that found the RAW evicted spent 130 s in `bronze_orders` (22 s warm), its cores idle 61% of the run,
    while the DuckDB reference after it read what that run had just brought back into the cache. `day`: only the
    files delivered that day, which a day loaded on a long history reads (all of its RAW may not fit in the cache)."""
    files = raw.glob(f"*/ingestion_date={day.isoformat()}/**/*") if day is not None else raw.rglob("*")
    for path in sorted(files):
        if path.is_file():
            with path.open("rb") as handle:
                while handle.read(8 << 20):
                    pass


def run_pipeline(
    raw: Path, lakehouse: Path, to_date: dt.date | None = None, only: tuple[str, ...] = ()
) -> tuple[Measured, dict[str, Any]]:
    command = [str(BIN / "retailflow"), "run", "--raw", str(raw), "--lakehouse", str(lakehouse), "--json"]
    if to_date:
        command += ["--to-date", to_date.isoformat()]
    for task in only:
        command += ["--only", task]
    measured = measure(command)
    summary = json.loads(measured.stdout)
    if not summary["ok"]:
        raise RuntimeError(f"the pipeline failed: {[t for t in summary['tasks'] if t['error']]}")
    return measured, summary


def task_figures(measured: Measured, summary: dict[str, Any], lakehouse: Path) -> dict[str, dict[str, float]]:
    """Each task's seconds and CPU-seconds between its start and end in `ops.run_log` (each attempt's; CPU-seconds
    from the run's samples), split evenly with a task beside it."""
    from deltalake import DeltaTable

    log = DeltaTable(str(lakehouse / "retailflow_local" / "ops" / "run_log")).to_pyarrow_table().to_pylist()
    attempts = attempts_of(log, summary["run_id"])
    seconds = split_between(attempts, lambda start, end: end - start)
    cpu = split_between(attempts, lambda start, end: measured.cpu.at(end) - measured.cpu.at(start))
    return {task: {"seconds": round(seconds[task], 2), "cpu_seconds": round(cpu[task], 2)} for task in seconds}


def project_results(lakehouse: Path) -> dict[str, Any]:
    """The project's tables, read with delta-rs (no Spark needed)."""
    from deltalake import DeltaTable

    def rows(schema: str, table: str) -> list[dict[str, Any]]:
        return DeltaTable(str(lakehouse / "retailflow_local" / schema / table)).to_pyarrow_table().to_pylist()

    revenue = sorted(
        (r["revenue_date"], r["channel"], r["category"], r["revenue"], r["orders"], r["units"])
        for r in rows("gold", "daily_revenue")
    )
    dim = sorted(
        (
            r["customer_id"],
            r["valid_from"],
            r["valid_to"],
            r["is_current"],
            r["email"],
            r["city"],
            r["country"],
            r["segment"],
            r["loyalty_tier"],
        )
        for r in rows("gold", "dim_customer")
        if r["customer_sk"] != -1
    )
    quarantined = sum(1 for r in rows("ops", "quarantine") if r["layer"] == "bronze" and r["source"] == "orders")
    return {"revenue": revenue, "dim": dim, "orders_quarantined": quarantined}


def online(revenue: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The online channel's rows of `project_results`' revenue, without the channel (the JVM run has no store
    lines)."""
    return [(day, *rest) for day, channel, *rest in revenue if channel == "online"]


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


def as_text(rows: list[Any]) -> list[tuple[str, ...]]:
    """Rows from delta-rs, DuckDB or JSON, as comparable text (UTC timestamps without zone)."""
    return [tuple(_text(v) for v in row) for row in rows]


T = TypeVar("T")


def median_of(runs: list[T], seconds: Callable[[T], float]) -> T:
    """The run of median time (this machine's speed varies by 10-20% from run to run)."""
    return sorted(runs, key=seconds)[len(runs) // 2]


def median_run(runs: list[tuple[Measured, dict[str, Any]]]) -> tuple[Measured, dict[str, Any]]:
    return median_of(runs, lambda run: run[0].seconds)


def generate_raw(raw: Path, scale: float, days: int) -> dict[str, Any]:
    """RAW generated, and the generator's time, peak memory and speed (every line or row it wrote, defects
    included, per second)."""
    generated = measure(
        [str(BIN / "retailflow"), "generate", "--out", str(raw), "--scale", str(scale), "--days", str(days)]
    )
    sources = json.loads((raw / "_manifest.json").read_text())["sources"]
    written = sum(sum(v for k, v in counts.items() if k in WRITTEN) for counts in sources.values())
    return {
        "seconds": round(generated.seconds, 2),
        "peak_rss_mb": round(generated.peak_rss_mb),
        "records": written,
        "records_per_second": round(written / generated.seconds),
        "order_records": sources["orders"]["records"],
        "raw_mb": round(sum(p.stat().st_size for p in raw.rglob("*") if p.is_file()) / 2**20),
    }


def usage_figures(prefix: str, runs: list[Usage]) -> dict[str, Any]:
    """The CPU-seconds of `runs` (median, and each run) and the share of the machine's CPU time idle or waiting on
    the disk during each, as report fields named with `prefix`."""
    return {
        f"{prefix}cpu_seconds": round(statistics.median(u.cpu_seconds for u in runs), 2),
        f"{prefix}cpu_seconds_runs": [round(u.cpu_seconds, 2) for u in runs],
        f"{prefix}idle_share_runs": [None if u.idle_share is None else round(u.idle_share, 3) for u in runs],
    }


def bronze_rows(summary: dict[str, Any]) -> int:
    """The RAW rows a run's summary says its bronze tasks read."""
    return sum(t["rows_in"] for t in summary["tasks"] if t["task"].startswith("bronze_"))


def run(scale: float, days: int, out: Path, skip_jvm: bool, repeat: int) -> dict[str, Any]:
    work = out / f"scale-{scale:g}"
    shutil.rmtree(work, ignore_errors=True)
    raw, lake, lake_seven_days, lake_incremental, lake_orders = (
        work / "raw",
        work / "lake",
        work / "lake-seven-days",
        work / "lake-incremental",
        work / "lake-orders-path",
    )
    report: dict[str, Any] = {
        "scale": scale,
        "days": days,
        "repeat": repeat,
        "machine": machine(),
        "date": dt.date.today().isoformat(),
    }

    report["generate"] = generate_raw(raw, scale, days)
    report["orders"] = report["generate"]["order_records"]

    # The seven days first, then each full run followed by an incremental day (from a copy of the same seven days),
    # a run of the orders path alone and a run of the DuckDB reference: they are timed under the same conditions of
    # this machine, whose speed drifts over a run.
    seven_days = START + dt.timedelta(days=days - 2)
    # Loaded where the incremental day runs, as a lakehouse stays where it is from one day to the next (dbt then
    # parses its project again only when the project changes), and set aside as the copy each day starts from.
    run_pipeline(raw, lake_incremental, to_date=seven_days)
    lake_incremental.rename(lake_seven_days)
    fulls, increments, references = [], [], []
    orders_runs: list[tuple[Measured, dict[str, dict[str, float]]]] = []  # each run, and its tasks' figures
    reference_usage: list[Usage] = []
    for _ in range(repeat):
        shutil.rmtree(lake, ignore_errors=True)
        warm(raw)
        fulls.append(run_pipeline(raw, lake))
        shutil.rmtree(lake_incremental, ignore_errors=True)
        shutil.copytree(lake_seven_days, lake_incremental)
        warm(raw)
        increments.append(run_pipeline(raw, lake_incremental))
        shutil.rmtree(lake_orders, ignore_errors=True)
        warm(raw)
        measured, orders_summary = run_pipeline(raw, lake_orders, only=ORDERS_PATH)
        orders_runs.append((measured, task_figures(measured, orders_summary, lake_orders)))
        os.sync()
        warm(raw)
        with measuring("self") as used:  # the reference runs in this process, on its own threads
            references.append(duckdb_reference.run(raw, out=work / "duckdb"))
        reference_usage.append(used)
    full, summary = median_run(fulls)
    tasks = {t["task"]: t for t in summary["tasks"]}
    rows_in = bronze_rows(summary)
    # The orders path's wall time: a run of its tasks alone (in the whole graph they share the cores with others).
    orders_run, orders_tasks = median_run(orders_runs)
    orders_path = orders_run.seconds
    report["project"] = {
        "seconds": round(full.seconds, 2),
        "seconds_runs": [round(m.seconds, 2) for m, _ in fulls],
        "pipeline_seconds": summary["seconds"],
        "parallel_tasks": summary.get("parallel_tasks"),
        "orders_path_seconds": round(orders_path, 2),
        "orders_path_seconds_runs": [round(m.seconds, 2) for m, _ in orders_runs],
        "orders_path_peak_rss_mb": round(max(m.peak_rss_mb for m, _ in orders_runs)),
        **usage_figures("orders_path_", [m.usage for m, _ in orders_runs]),
        **usage_figures("", [m.usage for m, _ in fulls]),
        "raw_rows_per_second": round(rows_in / summary["seconds"]),
        "peak_rss_mb": round(max(m.peak_rss_mb for m, _ in fulls)),
        "engine_restarts": summary["engine_restarts"],
        "tasks": {
            k: {"seconds": v["seconds"], "rows_in": v["rows_in"], "rows_out": v["rows_out"]} for k, v in tasks.items()
        },
    }
    ours = project_results(lake)

    reference = median_of(references, lambda r: r.total_seconds)
    # The median run of each, step by step.
    report["steps"] = step_figures(
        orders_tasks,
        orders_path,
        orders_run.usage.cpu_seconds,
        reference.seconds,
        reference.cpu_seconds,
    )
    report["duckdb"] = {
        "seconds": round(reference.total_seconds, 2),
        "seconds_runs": [round(r.total_seconds, 2) for r in references],
        "write_seconds": round(reference.write_seconds, 2),
        **usage_figures("", reference_usage),
        "steps": {k: round(v, 2) for k, v in reference.seconds.items()},
        "same_daily_revenue": as_text(ours["revenue"]) == as_text(reference.daily_revenue),
        "same_dim_customer": as_text(ours["dim"]) == as_text(reference.dim_customer),
        "same_quarantine": ours["orders_quarantined"] == reference.orders_quarantined,
    }
    report["ratio_project_to_duckdb"] = round(orders_path / reference.total_seconds, 2)
    report["ratio_cpu_project_to_duckdb"] = round(
        report["project"]["orders_path_cpu_seconds"] / report["duckdb"]["cpu_seconds"], 2
    )

    if not skip_jvm:
        result_file = work / "jvm.json"
        jvm = measure(
            [
                sys.executable,
                "-m",
                "retailflow.benchmarks.jvm",
                "--raw",
                str(raw),
                "--stage",
                str(work / "jvm-stage"),
                "--out",
                str(result_file),
            ],
            env={"PYTHONPATH": str(ROOT)},
        )
        jvm_result = json.loads(result_file.read_text())
        report["jvm"] = {
            "seconds": round(jvm.seconds, 2),
            "startup_seconds": round(jvm_result["seconds_startup"], 2),
            "peak_rss_mb": round(jvm.peak_rss_mb),
            "same_daily_revenue": as_text(online(ours["revenue"])) == as_text(jvm_result["daily_revenue_online"]),
            "same_dim_customer": as_text(ours["dim"]) == as_text(jvm_result["dim_customer"]),
        }
        report["ratio_jvm_to_project"] = round(jvm.seconds / orders_path, 2)

    incremental, day = median_run(increments)
    day_usage = usage_figures("day_", [m.usage for m, _ in increments])
    report["incremental"] = {
        "day_seconds": round(incremental.seconds, 2),
        "day_seconds_runs": [round(m.seconds, 2) for m, _ in increments],
        "full_seconds": round(full.seconds, 2),
        "fraction": round(incremental.seconds / full.seconds, 3),
        **day_usage,
        "fraction_cpu": round(day_usage["day_cpu_seconds"] / report["project"]["cpu_seconds"], 3),
        "same_result": as_text(project_results(lake_incremental)["revenue"]) == as_text(ours["revenue"]),
        "peak_rss_mb": round(max(m.peak_rss_mb for m, _ in increments)),
        "engine_restarts": day["engine_restarts"],
        "tasks": {t["task"]: t["seconds"] for t in day["tasks"]},
    }

    synth = measure([str(BIN / "retailflow"), "synth", "--outdir", str(work / "cdktf.out")])
    report["synth"] = {"seconds": round(synth.seconds, 2), "peak_rss_mb": round(synth.peak_rss_mb)}
    return report


def scaling(scales: list[float], days: int, out: Path) -> dict[str, Any]:
    """The scaling curve: at each scale, generate `days` days and run the whole graph once (time, peak memory,
    engine restarts, each task's seconds). Each scale's folder is removed after its run (scale 30 is 9 GB)."""
    points = []
    for scale in scales:
        work = out / f"scaling-{scale:g}"
        shutil.rmtree(work, ignore_errors=True)
        generated = generate_raw(work / "raw", scale, days)
        warm(work / "raw")
        measured, summary = run_pipeline(work / "raw", work / "lake")
        points.append(
            {
                "scale": scale,
                "generate": generated,
                "seconds": round(measured.seconds, 2),
                "peak_rss_mb": round(measured.peak_rss_mb),
                "engine_restarts": summary["engine_restarts"],
                "raw_rows": bronze_rows(summary),
                "tasks": {t["task"]: t["seconds"] for t in summary["tasks"]},
            }
        )
        shutil.rmtree(work, ignore_errors=True)
    return {"days": days, "machine": machine(), "date": dt.date.today().isoformat(), "points": points}


def history(
    scale: float, histories: list[int], repeat: int, out: Path, measured_so_far: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """The incremental day against the length of the history before it: for each number of days already loaded, the
    next day (each run from a copy of the same lakehouse, loaded where the day runs) and a full run of the same days
    from nothing, `repeat` times interleaved, and the medians of each. A day whose cost follows what it touches stays
    flat as the history grows, and its fraction of a full run falls. `measured_so_far` gets the curve after each
    point: a long history's runs take most of an hour, and a run stopped on the way keeps what it measured."""
    work = out / f"history-{scale:g}"
    shutil.rmtree(work, ignore_errors=True)
    raw, lake, base, full = work / "raw", work / "lake", work / "base", work / "full"
    generated = generate_raw(raw, scale, max(histories) + 1)
    points: list[dict[str, Any]] = []
    curve = {
        "scale": scale,
        "repeat": repeat,
        "generate": generated,
        "machine": machine(),
        "date": dt.date.today().isoformat(),
        "points": points,
    }
    for loaded in histories:
        run_pipeline(raw, lake, to_date=START + dt.timedelta(days=loaded - 1))
        shutil.rmtree(base, ignore_errors=True)
        lake.rename(base)
        days, fulls = [], []
        for _ in range(repeat):
            shutil.copytree(base, lake)
            warm(raw, day=START + dt.timedelta(days=loaded))
            days.append(run_pipeline(raw, lake, to_date=START + dt.timedelta(days=loaded)))
            shutil.rmtree(lake)
            shutil.rmtree(full, ignore_errors=True)
            warm(raw)
            fulls.append(run_pipeline(raw, full, to_date=START + dt.timedelta(days=loaded)))
        measured, summary = median_run(days)
        whole, _ = median_run(fulls)
        points.append(
            {
                "history_days": loaded,
                "day_seconds": round(measured.seconds, 2),
                "day_seconds_runs": [round(m.seconds, 2) for m, _ in days],
                "day_peak_rss_mb": round(max(m.peak_rss_mb for m, _ in days)),
                "full_seconds": round(whole.seconds, 2),
                "full_seconds_runs": [round(m.seconds, 2) for m, _ in fulls],
                "fraction": round(measured.seconds / whole.seconds, 3),
                "tasks": {t["task"]: t["seconds"] for t in summary["tasks"]},
            }
        )
        measured_so_far(curve)
    shutil.rmtree(work, ignore_errors=True)
    return curve


def history_markdown(curve: dict[str, Any]) -> str:
    points = curve["points"]
    even = " (of an even number of runs, the slower of the middle two)" if curve["repeat"] % 2 == 0 else ""
    lines = [
        f"Scale {curve['scale']:g}, {curve['date']}: the next day after a history of N days, each run from a copy of "
        f"the same lakehouse and followed by a full run of the N+1 days, {curve['repeat']} times; the medians{even}; "
        "each run starting with the RAW it reads (the day's files, or all) read once into the page cache.",
        "",
        "| history (days) | the day: s (runs) | peak RSS MB | full run of N+1 days: s (runs) | day / full run |",
        "|---|---|---|---|---|",
    ]
    for p in points:
        lines.append(
            f"| {p['history_days']} | {p['day_seconds']} ({_runs(p['day_seconds_runs'])}) | {p['day_peak_rss_mb']} "
            f"| {p['full_seconds']} ({_runs(p['full_seconds_runs'])}) | {p['fraction']} |"
        )
    lines += [
        "",
        "Seconds per task of the day (the median run), the tasks that take a second or more:",
        "",
        "| task | " + " | ".join(f"after {p['history_days']} days" for p in points) + " |",
        "|---|" + "---|" * len(points),
    ]
    last = points[-1]["tasks"]
    for task in sorted(last, key=lambda t: -last[t]):
        if max(p["tasks"].get(task, 0) for p in points) >= 1.0:
            lines.append(f"| {task} | " + " | ".join(f"{p['tasks'].get(task, 0):.1f}" for p in points) + " |")
    return "\n".join(lines) + "\n"


def scaling_markdown(curve: dict[str, Any]) -> str:
    points = curve["points"]
    base = next((p for p in points if p["scale"] == 10), points[0])
    lines = [
        f"{curve['days']} days generated and run whole at each scale, one run each, {curve['date']}; each run "
        "starting with the RAW read once into the page cache, as far as the machine keeps it.",
        "",
        "| scale | RAW rows | RAW MB | generate: s, peak MB, records/s | whole graph s | x scale 10 | peak RSS MB "
        "| engine restarts | µs per RAW row |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        g = p["generate"]
        lines.append(
            f"| {p['scale']:g} | {p['raw_rows']:,} | {g['raw_mb']:,} | {g['seconds']}, {g['peak_rss_mb']}, "
            f"{g['records_per_second']:,} | {p['seconds']} | {p['seconds'] / base['seconds']:.2f} | "
            f"{p['peak_rss_mb']} | {p['engine_restarts']} | {p['seconds'] / p['raw_rows'] * 1e6:.1f} |"
        )
    lines += [
        "",
        "Where the time goes, seconds per task (tasks run two at once, so a task's seconds include its "
        "neighbour's share of the cores):",
        "",
        "| task | " + " | ".join(f"scale {p['scale']:g}" for p in points) + " |",
        "|---|" + "---|" * len(points),
    ]
    for task in sorted(points[-1]["tasks"], key=lambda t: -points[-1]["tasks"][t]):
        lines.append(f"| {task} | " + " | ".join(f"{p['tasks'].get(task, 0):.1f}" for p in points) + " |")
    return "\n".join(lines) + "\n"


def paper_curve(curve: dict[str, Any], report: dict[str, Any]) -> paper.Curve:
    """The on-paper model's inputs: the scaling curve's exponent and the benchmark's day and full run."""
    return paper.Curve(
        cores=report["machine"]["cores"],
        scale=report["scale"],
        day_seconds=report["incremental"]["day_seconds"],
        full_seconds=report["project"]["seconds"],
        full_days=report["days"],
        fitted=round(paper.fitted_exponent([(p["scale"], p["seconds"]) for p in curve["points"]]), 3),
    )


def _runs(seconds: list[float]) -> str:
    return ", ".join(f"{s}" for s in seconds)


def _shares(runs: list[float | None]) -> str:
    return ", ".join("n/a" if share is None else f"{share:.0%}" for share in runs)


def cpu_against_reference_rows(report: dict[str, Any]) -> list[str]:
    """The orders path against the reference in CPU-seconds, and how idle the machine was in each run (rows of the
    benchmark table; none for a report measured before CPU-seconds were)."""
    ours, reference = report["project"], report["duckdb"]
    if "cpu_seconds" not in reference:
        return []
    return [
        "| CPU-seconds, median (runs): project orders path / DuckDB reference | "
        f"{ours['orders_path_cpu_seconds']} s ({_runs(ours['orders_path_cpu_seconds_runs'])}) / "
        f"{reference['cpu_seconds']} s ({_runs(reference['cpu_seconds_runs'])}) "
        f"= {report['ratio_cpu_project_to_duckdb']} |",
        "| the machine's CPU time idle or waiting on the disk, per run: project orders path; DuckDB reference | "
        f"{_shares(ours['orders_path_idle_share_runs'])}; {_shares(reference['idle_share_runs'])} |",
    ]


def cpu_of_the_day_rows(day: dict[str, Any], full: dict[str, Any]) -> list[str]:
    """The incremental day against a full reprocess in CPU-seconds (a row of the benchmark table, if measured)."""
    if "fraction_cpu" not in day:
        return []
    return [
        f"| incremental day / full reprocess in CPU-seconds, medians | {day['day_cpu_seconds']} s / "
        f"{full['cpu_seconds']} s = {day['fraction_cpu']} |"
    ]


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Scale {report['scale']:g} ({report['orders']:,} order records, {report['days']} days), {m['cores']} cores, "
        f"{m['memory_gb']} GB, Python {m['python']}, pyspark {m['pyspark']}, pysail {m['pysail']}, duckdb {m['duckdb']}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| generate RAW: time, peak RSS, records written per second | {report['generate']['seconds']} s, "
        f"{report['generate']['peak_rss_mb']} MB, {report['generate']['records_per_second']:,} |",
        f"| project: whole graph (24 tasks, {report['project']['parallel_tasks']} at once), wall, median of "
        f"{report['repeat']} | {report['project']['seconds']} s "
        f"({_runs(report['project']['seconds_runs'])}) |",
        f"| project: orders path alone ({len(ORDERS_PATH)} tasks), wall, median (runs) | "
        f"{report['project']['orders_path_seconds']} s ({_runs(report['project']['orders_path_seconds_runs'])}) |",
        f"| project: RAW rows per second | {report['project']['raw_rows_per_second']:,} |",
        f"| project: peak RSS, highest of the runs (runner + engine processes): whole graph, orders path | "
        f"{report['project']['peak_rss_mb']} MB, {report['project']['orders_path_peak_rss_mb']} MB |",
        f"| project: engine restarts between tasks (memory budget) | {report['project']['engine_restarts']} |",
        f"| DuckDB reference, orders path (both channels) + SCD2, median (runs; of which writing its layers to Parquet) | "
        f"{report['duckdb']['seconds']} s ({_runs(report['duckdb']['seconds_runs'])}; "
        f"{report['duckdb']['write_seconds']} s) |",
        f"| ratio project / DuckDB | {report['ratio_project_to_duckdb']} |",
        *cpu_against_reference_rows(report),
        f"| same results as DuckDB (revenue, dim_customer, quarantine) | {report['duckdb']['same_daily_revenue']}, {report['duckdb']['same_dim_customer']}, {report['duckdb']['same_quarantine']} |",
    ]
    if "jvm" in report:
        lines += [
            f"| JVM PySpark local[2], same transforms | {report['jvm']['seconds']} s ({report['jvm']['startup_seconds']} s start-up) |",
            f"| ratio JVM / project | {report['ratio_jvm_to_project']} |",
            f"| same results on JVM Spark (revenue, dim_customer) | {report['jvm']['same_daily_revenue']}, {report['jvm']['same_dim_customer']} |",
        ]
    lines += [
        f"| incremental day (median, runs) / full reprocess | {report['incremental']['day_seconds']} s "
        f"({_runs(report['incremental']['day_seconds_runs'])}) / {report['incremental']['full_seconds']} s "
        f"= {report['incremental']['fraction']} |",
        *cpu_of_the_day_rows(report["incremental"], report["project"]),
        f"| incremental day: peak RSS, engine restarts | {report['incremental']['peak_rss_mb']} MB, {report['incremental']['engine_restarts']} |",
        f"| `retailflow synth` dev + stg + prod | {report['synth']['seconds']} s, {report['synth']['peak_rss_mb']} MB |",
        "",
        "Seconds per task, the whole graph (median run) and the incremental day:",
        "",
        "| task | whole graph | incremental day |",
        "|---|---|---|",
    ]
    tasks, day = report["project"]["tasks"], report["incremental"]["tasks"]
    for task in sorted(tasks, key=lambda t: -tasks[t]["seconds"]):
        lines.append(f"| {task} | {tasks[task]['seconds']:.1f} | {day.get(task, 0):.1f} |")
    if report.get("steps"):
        lines += [
            "",
            "The orders path step by step against the DuckDB reference, the median run of each",
            "(a task's seconds and CPU-seconds are its run's between its start and end, split evenly with a task "
            "beside it):",
            "",
            *step_rows(report["steps"]),
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m retailflow.benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="run the benchmarks")
    run_parser.add_argument("--scale", type=float, default=1.0)
    run_parser.add_argument("--days", type=int, default=8, help="the last day is the incremental one")
    run_parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    run_parser.add_argument("--skip-jvm", action="store_true")
    run_parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of the whole graph, the incremental day and the DuckDB reference; the median counts",
    )
    curve_parser = sub.add_parser("scaling", help="the scaling curve: generate and run the whole graph at each scale")
    curve_parser.add_argument("--scales", default="1,10,30", help="comma-separated scales")
    curve_parser.add_argument("--days", type=int, default=8)
    curve_parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    history_parser = sub.add_parser("history", help="the incremental day after histories of different lengths")
    history_parser.add_argument("--scale", type=float, default=10.0)
    history_parser.add_argument("--histories", default="7,30", help="comma-separated days loaded before the day")
    history_parser.add_argument("--repeat", type=int, default=3)
    history_parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    page = ROOT / "docs" / "performance.md"
    if args.command == "history":

        def keep(curve: dict[str, Any]) -> None:
            (args.out / "history.json").write_text(json.dumps(curve, indent=2, default=str))
            publish(history_markdown(curve), page, "history")

        history(args.scale, [int(h) for h in args.histories.split(",")], args.repeat, args.out, keep)
        return
    if args.command == "scaling":
        curve = scaling([float(s) for s in args.scales.split(",")], args.days, args.out)
        (args.out / "scaling.json").write_text(json.dumps(curve, indent=2, default=str))
        publish(scaling_markdown(curve), page, "scaling")
    else:
        report = run(args.scale, args.days, args.out, args.skip_jvm, args.repeat)
        stem = f"benchmark-scale-{args.scale:g}"  # a scale of 0.05 is in the name, not a suffix to replace
        (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str))
        text = markdown(report)
        (args.out / f"{stem}.md").write_text(text)
        publish(text, page)
        print(text)
    publish_paper(args.out, page)


def publish_paper(results: Path, page: Path) -> None:
    """The cost on paper, from the scaling curve and the scale-10 benchmark, once both have been run."""
    curve_file, report_file = results / "scaling.json", results / "benchmark-scale-10.json"
    if curve_file.exists() and report_file.exists():
        curve, report = json.loads(curve_file.read_text()), json.loads(report_file.read_text())
        figures = paper.on_paper(paper_curve(curve, report))
        (results / "paper.json").write_text(json.dumps(figures, indent=2))
        publish(paper.markdown(figures), page, "paper")


def publish(table: str, page: Path, section: str = "benchmark") -> None:
    """Put a generated section between the page's markers for it (the rest of the page is prose)."""
    text = page.read_text(encoding="utf-8")
    begin, end = f"<!-- BEGIN {section} -->\n", f"<!-- END {section} -->"
    if begin not in text or end not in text:
        raise SystemExit(f"{page}: no {section} markers ({begin.strip()} ... {end})")
    head, rest = text.split(begin, 1)
    page.write_text(head + begin + table.rstrip() + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")


if __name__ == "__main__":
    main()
