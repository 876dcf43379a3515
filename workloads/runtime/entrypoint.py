"""`retailflow-task`: the entry point of every Databricks job task, and of the local runner.

retailflow-task --task silver_orders --catalog retailflow_prod --raw-root /Volumes/retailflow_prod/raw/landing
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pyspark is imported only once the arguments are valid, so `--help` works anywhere
    from retailflow.workloads.runtime.context import RunOptions
    from retailflow.workloads.runtime.landing import LandingSettings
    from retailflow.workloads.runtime.secrets import ScopeSecrets


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="retailflow-task", description="Run one RetailFlow pipeline task.")
    p.add_argument("--task", required=True, help="Task key from the pipeline graph (e.g. silver_orders).")
    p.add_argument("--catalog", required=True, help="Unity Catalog catalog (retailflow_<env>).")
    p.add_argument("--raw-root", required=True, help="RAW landing root (the landing volume on Databricks).")
    p.add_argument("--engine", default="databricks", choices=("databricks", "remote"))
    p.add_argument("--remote-url", default=None, help="Spark Connect URL for --engine remote.")
    p.add_argument(
        "--lakehouse", default=None, help="Delta tables as folders under this root instead of catalog tables."
    )
    p.add_argument("--from-date", default=None)
    p.add_argument("--to-date", default=None)
    p.add_argument("--replay", action="store_true", help="Re-ingest the date range even if already ingested.")
    p.add_argument(
        "--full-refresh", action="store_true", help="Rebuild the task's table whole, ignoring its watermark."
    )
    p.add_argument("--run-id", default=None, help="Run id (default: the Databricks job run, or a new one).")
    p.add_argument("--max-line-bytes", type=int, default=1 << 20)
    p.add_argument("--max-batch-bytes", type=int, default=1 << 30, help="RAW loaded in one batch at most.")
    p.add_argument("--access-rules", default=None, help="The access rules as JSON (the governance task's input).")
    p.add_argument("--landing", default=None, help="The landing settings as JSON (the landing tasks' input).")
    return p


def run_options(args: argparse.Namespace, run_id: str) -> RunOptions:
    from retailflow.workloads.runtime.context import RunOptions
    from retailflow.workloads.runtime.runner import parse_date

    return RunOptions(
        raw_root=Path(args.raw_root),
        run_id=run_id,
        from_date=parse_date(args.from_date),
        to_date=parse_date(args.to_date),
        replay=args.replay,
        max_line_bytes=args.max_line_bytes,
        max_batch_bytes=args.max_batch_bytes,
        full_refresh=args.full_refresh,
        access_rules=args.access_rules,
        landing=args.landing,
        secrets=ScopeSecrets(LandingSettings.from_json(args.landing).secret_scope) if args.landing else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from retailflow.workloads.retail.contracts import registry
    from retailflow.workloads.retail.graph import PIPELINE

    if args.task not in PIPELINE.tasks:
        print(f"retailflow-task: unknown task {args.task!r} (known: {', '.join(PIPELINE.order)})", file=sys.stderr)
        return 2
    from retailflow.workloads.retail.tasks import RETAIL
    from retailflow.workloads.runtime.engine import create_engine
    from retailflow.workloads.runtime.ops import configure_json_logging
    from retailflow.workloads.runtime.runner import new_run_id, run_task

    configure_json_logging()
    engine = create_engine(args.engine, args.remote_url)
    try:
        lake = engine.lakehouse(args.catalog, registry(), root=Path(args.lakehouse) if args.lakehouse else None)
        options = run_options(args, args.run_id or new_run_id())
        run_task(RETAIL, options.context(lake, engine.capabilities, PIPELINE.tasks[args.task]))
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
