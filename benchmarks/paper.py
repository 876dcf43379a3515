"""On paper, from the measured scaling curve: what a day costs on Databricks at larger scales, and the scale at which
one machine stops being the right tool. Every assumption is a field of `Assumptions`, printed with the figures; the
prices are list-price placeholders to replace with a contract's, not quotes."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Assumptions:
    node_type: str = "Standard_D4ds_v5"
    node_cores: int = 4
    vm_usd_per_hour: float = 0.23  # pay-as-you-go VM price of one node
    dbu_per_node_hour: float = 1.0  # DBUs one node emits per hour on Jobs Compute
    usd_per_dbu: float = 0.30  # Jobs Compute, Premium tier
    photon_dbu_multiplier: float = 2.0  # Photon emits more DBUs per hour
    core_speed: float = 1.0  # a worker core with Photon does the work of one core of this machine on the local engine
    cluster_start_minutes: float = 5.0  # a job cluster's start, billed, once per day's run
    target_wall_minutes: float = 30.0  # the day's run must finish within this; workers are added until it does
    history_days: int = 365  # the history a full reprocess (a backfill, a changed contract) reads
    night_hours: float = 8.0  # a full reprocess on one machine must fit in this
    day_hours: float = 1.0  # a day's run on one machine must fit in this


@dataclass(frozen=True)
class Curve:
    """Measured on this machine: time grows as scale**exponent. `fitted` is the exponent between the two largest
    scales measured; below 1 (fixed costs spread over more rows), it is taken as 1 to extrapolate far beyond them."""

    cores: int
    scale: float  # the scale the figures below were measured at
    day_seconds: float  # an incremental day
    full_seconds: float  # a full run over `full_days` days
    full_days: int
    fitted: float

    @property
    def exponent(self) -> float:
        return max(1.0, self.fitted)

    def at(self, seconds: float, scale: float) -> float:
        return seconds * (scale / self.scale) ** self.exponent


def fitted_exponent(points: list[tuple[float, float]]) -> float:
    """The exponent of time against scale between the two largest scales of (scale, seconds) points (1.0, linear,
    with fewer than two)."""
    if len(points) < 2:
        return 1.0
    (s1, t1), (s2, t2) = sorted(points)[-2:]
    return math.log(t2 / t1) / math.log(s2 / s1)


def day_on_databricks(curve: Curve, scale: float, a: Assumptions) -> dict[str, Any]:
    """One day's run at `scale` on a job cluster sized to finish within the target wall time."""
    core_seconds = curve.at(curve.day_seconds, scale) * curve.cores / a.core_speed
    workers = max(1, math.ceil(core_seconds / (a.node_cores * a.target_wall_minutes * 60)))
    wall_hours = core_seconds / (workers * a.node_cores) / 3600
    node_hours = (workers + 1) * (wall_hours + a.cluster_start_minutes / 60)  # the driver is a node too
    usd_per_node_hour = a.vm_usd_per_hour + a.dbu_per_node_hour * a.photon_dbu_multiplier * a.usd_per_dbu
    return {
        "scale": scale,
        "core_hours": round(core_seconds / 3600, 2),
        "workers": workers,
        "wall_minutes": round(wall_hours * 60, 1),
        "node_hours": round(node_hours, 2),
        "usd_per_day": round(node_hours * usd_per_node_hour, 2),
        "usd_per_month": round(node_hours * usd_per_node_hour * 30, 0),
    }


def single_machine_limits(curve: Curve, a: Assumptions) -> dict[str, float]:
    """The largest scale at which this machine still runs a day within `day_hours` and a full reprocess of
    `history_days` within `night_hours`, time following the measured curve."""

    def largest(seconds_at_measured: float, budget_seconds: float) -> float:
        return curve.scale * (budget_seconds / seconds_at_measured) ** (1 / curve.exponent)

    full_history = curve.full_seconds * a.history_days / curve.full_days
    return {
        "day_within_budget": round(largest(curve.day_seconds, a.day_hours * 3600), 1),
        "full_reprocess_within_budget": round(largest(full_history, a.night_hours * 3600), 1),
    }


def on_paper(curve: Curve, scales: tuple[float, ...] = (10, 100, 1000), a: Assumptions | None = None) -> dict[str, Any]:
    a = a or Assumptions()
    return {
        "assumptions": asdict(a),
        "curve": {**asdict(curve), "exponent": curve.exponent},
        "days": [day_on_databricks(curve, s, a) for s in scales],
        "single_machine": single_machine_limits(curve, a),
    }


def markdown(paper: dict[str, Any]) -> str:
    a, curve, limits = paper["assumptions"], paper["curve"], paper["single_machine"]
    lines = [
        f"From the scale-{curve['scale']:g} day ({curve['day_seconds']} s on {curve['cores']} cores) and full run "
        f"({curve['full_seconds']} s for {curve['full_days']} days), time growing as scale^{curve['exponent']:.2f} "
        f"(the curve above fits scale^{curve['fitted']:.2f}; taken as at least linear this far beyond it). Assumed: "
        f"{a['node_type']} nodes ({a['node_cores']} cores, ${a['vm_usd_per_hour']}/h), {a['dbu_per_node_hour']} DBU "
        f"per node-hour x{a['photon_dbu_multiplier']} with Photon at ${a['usd_per_dbu']}/DBU, a worker core as fast "
        f"as one here ({a['core_speed']}), a {a['cluster_start_minutes']:g}-minute cluster start billed each day, "
        f"workers added until the day ends within {a['target_wall_minutes']:g} minutes, and a driver node. "
        "List prices as placeholders (`benchmarks/paper.py`): put a contract's in.",
        "",
        "| scale | compute (core-hours) | workers | wall (min) | node-hours | USD a day | USD a month |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in paper["days"]:
        lines.append(
            f"| {d['scale']:g} | {d['core_hours']} | {d['workers']} | {d['wall_minutes']} | {d['node_hours']} | "
            f"{d['usd_per_day']} | {d['usd_per_month']:,.0f} |"
        )
    lines += [
        "",
        f"Where one machine stops being the right tool: this one runs a day within {a['day_hours']:g} h up to scale "
        f"{limits['day_within_budget']:g}, but a full reprocess of {a['history_days']} days of history (a backfill, "
        f"a changed contract) within one night ({a['night_hours']:g} hours) only up to scale "
        f"{limits['full_reprocess_within_budget']:g}: past that scale the history belongs on a cluster even where a "
        "day would still fit on one machine.",
    ]
    return "\n".join(lines) + "\n"
