"""The orders path step by step against the DuckDB reference: each reference step beside the project's tasks that do
its work, in seconds and CPU-seconds.

A run's CPU-seconds are sampled from its process tree every 100 ms (`TreeCpu`); a task's share is read off those
samples between the task's start and end in `ops.run_log`. Where tasks overlap, the seconds and CPU of the time they
share are split evenly between them (the cores are shared; the engine does not say whose query used them), so the
tasks' figures add up to the run's less what it spent outside them.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

# Each step of the reference (`duckdb_reference.run`) and the project's tasks that do the same work.
STEPS: dict[str, tuple[str, ...]] = {
    "bronze_orders": ("bronze_orders",),
    "silver_orders": ("silver_orders", "silver_order_lines"),
    "payments": ("bronze_payments", "silver_payments"),
    "store_sales": ("bronze_store_sales", "silver_store_sales", "silver_stores", "gold_dim_store"),
    "gold_daily_revenue": (
        "bronze_products",
        "silver_products",
        "gold_dim_product",
        "gold_fact_sales",
        "gold_daily_revenue",
    ),
    "gold_dim_customer": ("bronze_customers", "silver_customer_changes", "gold_dim_customer"),
}
OUTSIDE = "outside the tasks"  # the run less its tasks: the process, its imports, the gaps between tasks


@dataclass
class TreeCpu:
    """Samples of (wall clock, CPU-seconds used so far) of a process tree. Each process counts its own CPU and that
    of the children it has waited for, so an engine that a run stops stays counted through the run that reaped it."""

    samples: list[tuple[float, float]] = field(default_factory=list)

    def add(self, when: float, used: float) -> None:
        """A sample; never below the one before (a process that ended but is not yet reaped counts nowhere)."""
        self.samples.append((when, max(used, self.samples[-1][1] if self.samples else 0.0)))

    def at(self, when: float) -> float:
        """The CPU-seconds used by `when`, interpolated between the samples around it."""
        if not self.samples:
            return 0.0
        i = bisect.bisect_left(self.samples, when, key=lambda sample: sample[0])
        if i == 0:
            return self.samples[0][1]
        if i == len(self.samples):
            return self.samples[-1][1]
        (t0, c0), (t1, c1) = self.samples[i - 1], self.samples[i]
        return c0 + (c1 - c0) * (when - t0) / (t1 - t0) if t1 > t0 else c1


def split_between(
    attempts: Sequence[tuple[str, float, float]], amount: Callable[[float, float], float]
) -> dict[str, float]:
    """Each task's share of `amount` (of wall time, of CPU-seconds) over the time it ran (`attempts`: the task, a
    start and an end, wall clock; a task retried has one per attempt): the time is cut at every start and end, and
    each piece's amount split evenly between the attempts running in it. The shares add up to the amount over the
    time some task ran."""
    cuts = sorted({t for _task, start, end in attempts for t in (start, end)})
    shares = {task: 0.0 for task, _start, _end in attempts}
    for start, end in pairwise(cuts):
        running = [task for task, s, e in attempts if s <= start and end <= e]
        for task in running:
            shares[task] += amount(start, end) / len(running)
    return shares


def step_figures(
    tasks: Mapping[str, Mapping[str, float]],
    run_seconds: float,
    run_cpu: float,
    reference_seconds: Mapping[str, float],
    reference_cpu: Mapping[str, float],
) -> dict[str, dict[str, float]]:
    """Per step: the reference's seconds and CPU-seconds, and the sum of its project tasks' (`tasks`: each task's
    `seconds` and `cpu_seconds`); then what the project's run spent outside its tasks."""
    steps: dict[str, dict[str, float]] = {}
    for step, names in STEPS.items():
        steps[step] = {
            "duckdb_seconds": round(reference_seconds[step], 2),
            "duckdb_cpu_seconds": round(reference_cpu[step], 2),
            "project_seconds": round(sum(tasks[name]["seconds"] for name in names), 2),
            "project_cpu_seconds": round(sum(tasks[name]["cpu_seconds"] for name in names), 2),
        }
    steps[OUTSIDE] = {
        "duckdb_seconds": 0.0,
        "duckdb_cpu_seconds": 0.0,
        "project_seconds": round(run_seconds - sum(t["seconds"] for t in tasks.values()), 2),
        "project_cpu_seconds": round(run_cpu - sum(t["cpu_seconds"] for t in tasks.values()), 2),
    }
    return steps


def step_rows(steps: Mapping[str, Mapping[str, float]]) -> list[str]:
    """The step-by-step table (none for a report measured before it was)."""
    if not steps:
        return []
    lines = [
        "| reference step | project tasks | seconds: reference, project | CPU-seconds: reference, project | "
        "CPU-seconds more |",
        "|---|---|---|---|---|",
    ]
    for step, f in steps.items():
        names = ", ".join(STEPS.get(step, ())) or "-"
        more = f["project_cpu_seconds"] - f["duckdb_cpu_seconds"]
        lines.append(
            f"| {step} | {names} | {f['duckdb_seconds']}, {f['project_seconds']} | "
            f"{f['duckdb_cpu_seconds']}, {f['project_cpu_seconds']} | {more:+.1f} |"
        )
    return lines


def attempts_of(rows: Iterable[Mapping[str, Any]], run_id: str) -> list[tuple[str, float, float]]:
    """When each task of `run_id` ran (wall clock), from `ops.run_log` rows: one per attempt (a failed attempt is
    logged too, and a task that lost the engine's memory is retried alone)."""
    return [
        (row["task"], row["started_at"].timestamp(), row["finished_at"].timestamp())
        for row in rows
        if row["run_id"] == run_id
    ]
