"""Real-world defects added to a day's text files block by block, at known rates, each counted in the manifest: truncated lines,
records missing their required first key, redelivered duplicates, ragged CSV lines."""

from __future__ import annotations

from retailflow.local.raw.common import RATES, Day, Stream

REQUIRED_FIRST_KEY = {
    "orders": "order_id",
    "customers": "customer_id",
    "payments": "payment_event_id",
    "clickstream": "event_id",
}
SOURCE_ORDER = ("products", "customers", "orders", "payments", "clickstream", "inventory")


def inject(day: Day, source: str, lines: list[str], block: int) -> list[str]:
    """The defects added after one block of a text source's lines (drawn from the block's own random stream)."""
    if not lines:
        return []
    rng = day.settings.rng(day.day, Stream.DEFECTS, SOURCE_ORDER.index(source), block)
    count = len(lines)
    counts = day.counts(source)
    copies: list[str] = []
    bad: list[str] = []
    if source in REQUIRED_FIRST_KEY:
        for i in rng.choice(count, size=max(1, int(count * RATES["malformed"])), replace=False):
            bad.append(lines[int(i)][: len(lines[int(i)]) // 2])
        for i in rng.choice(count, size=max(1, int(count * RATES["missing_required"])), replace=False):
            line = lines[int(i)]
            bad.append("{" + line[line.index(",") + 1 :])  # the required first key removed
        counts["malformed"] += max(1, int(count * RATES["malformed"]))
        counts["missing_required"] += max(1, int(count * RATES["missing_required"]))
        if source in ("clickstream", "payments"):
            picks = rng.choice(count, size=int(count * RATES["duplicate"]), replace=False)
            copies = [lines[int(i)] for i in picks]
            counts["duplicates"] += len(picks)
    elif source == "inventory":
        for i in rng.choice(count, size=max(1, int(count * RATES["malformed"])), replace=False):
            bad.append(lines[int(i)] + ",unexpected")
        counts["malformed"] += max(1, int(count * RATES["malformed"]))
    return copies + bad
