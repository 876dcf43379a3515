"""The `retailflow` command line: environments, synth, scan, generate, run, demo."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from retailflow.cdk import UnknownFlavour
from retailflow.config import ConfigError, LocalConfig, load_environment, load_local, standard_environments
from retailflow.project import ProjectNotFound

if TYPE_CHECKING:
    from retailflow.local.run import LocalRunSettings, RunSummary

app = typer.Typer(
    help="RetailFlow: synthesize, scan and run the Azure + Databricks medallion platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

GITHUB_HOSTED_RUNNER = "ubuntu-24.04"
STOPPED = (
    "[bold red]retailflow:[/] {what}: stopped; the engine is stopped and nothing half-written is kept "
    "(tables commit whole, the ledger after them): the next run resumes where this one stopped"
)


class CliError(Exception):
    """An error the CLI prints as one line (exit code 2)."""


def fail(message: str, code: int = 2) -> None:
    errors.print(f"[bold red]retailflow:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def envs(
    as_json: Annotated[
        bool, typer.Option("--json", help="The standard environments in promotion order, as JSON (for CI matrices).")
    ] = False,
) -> None:
    """List the environments, their kind and their stack names (validates every file)."""
    if as_json:
        stages = [
            {
                "environment": c.name,
                "stack": c.stack_name,
                "production": c.production,
                "smoke": "read-only" if c.production else "full",
                # Where its deploy runs: a private environment's data plane answers only inside its network.
                "runner": c.deploy.runner_labels if c.deploy.runner == "self-hosted" else [GITHUB_HOSTED_RUNNER],
            }
            for c in standard_environments()
        ]
        print(json.dumps(stages))
        return
    table = Table("environment", "kind", "stack", "catalog", "networking", "compute")
    for config in standard_environments():
        table.add_row(
            config.name,
            config.kind.value,
            config.stack_name,
            config.catalog,
            "private" if config.network.private else "public",
            config.compute.mode,
        )
    feature = load_environment("feature")
    table.add_row(
        "feature-<slug>",
        "feature",
        "retailflow-feature-<slug>",
        "retailflow_feat_<slug>",
        "(dev's)",
        feature.compute.mode,
    )
    local = load_local()
    table.add_row("local", "local", "-", local.catalog, "-", f"engine: {local.engine.kind}")
    console.print(table)


def synthesize(envs: list[str] | None, feature: str | None, outdir: Path, feature_slug: str | None = None) -> list[str]:
    from retailflow.node import use_project_node

    use_project_node()
    from retailflow.stacks.app import build_app

    app_, names = build_app(outdir=outdir, environments=envs or None, feature=feature, feature_slug=feature_slug)
    app_.synth()
    return names


EnvOption = Annotated[list[str] | None, typer.Option("--env", "-e", help="Environment(s); default: all.")]
FeatureOption = Annotated[
    str | None, typer.Option("--feature", "-f", help="Also synthesize the feature stack of this branch name.")
]
OutdirOption = Annotated[Path, typer.Option("--outdir", help="Where stacks are written.")]
VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Show the local engine's own log on the terminal (else <lakehouse>/logs)."),
]


FeatureSlugOption = Annotated[
    str | None,
    typer.Option("--feature-slug", help="Also synthesize the feature stack of this slug (a stack to destroy)."),
]


@app.command()
def synth(
    env: EnvOption = None,
    feature: FeatureOption = None,
    outdir: OutdirOption = Path("cdktf.out"),
    feature_slug: FeatureSlugOption = None,
) -> None:
    """Synthesize stacks to <outdir>/stacks/<stack>/cdk.tf.json (the same output as `cdktf synth`)."""
    started = time.perf_counter()
    names = synthesize(env, feature, outdir, feature_slug)
    for name in names:
        console.print(f"synthesized [bold]{name}[/] -> {outdir / 'stacks' / name / 'cdk.tf.json'}")
    console.print(f"{len(names)} stack(s) in {time.perf_counter() - started:.1f} s")


@app.command()
def scan(
    env: EnvOption = None,
    feature: FeatureOption = None,
    path: Annotated[
        Path | None, typer.Option(help="Scan stacks already synthesized here (cdktf.out or one stack).")
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="table, json, sarif or markdown.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write the report here instead of printing it.")] = None,
    outdir: OutdirOption = Path("cdktf.out"),
) -> None:
    """Policy-scan stacks: checkov built-ins + RetailFlow's checks, offline, with the committed exceptions."""
    from retailflow.policies import report as reports
    from retailflow.policies.scan import find_stack_files
    from retailflow.policies.scan import scan as run_scan

    if format_ not in ("table", "json", "sarif", "markdown"):
        raise CliError(f"--format: {format_!r} is not one of table, json, sarif, markdown")
    if path is not None and (env or feature):
        raise CliError("--path scans existing output; it cannot be combined with --env or --feature")
    if path is None:
        names = synthesize(env, feature, outdir)
        files = [outdir / "stacks" / name / "cdk.tf.json" for name in names]
    else:
        try:
            files = find_stack_files(path)
        except FileNotFoundError as err:
            raise CliError(str(err)) from None
    result = run_scan(files)
    if format_ == "table":
        target = Console(file=output.open("w", encoding="utf-8"), width=160) if output else console
        reports.to_table(result, target)
    else:
        text = {"json": reports.to_json, "sarif": reports.to_sarif, "markdown": reports.to_markdown}[format_](result)
        if output:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        else:
            print(text)
    if output:
        console.print(f"scan {'passed' if result.ok else 'failed'}: report written to {output}")
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def feature(
    branch: Annotated[str | None, typer.Argument(help="A branch name, e.g. feature/ABC-123-new-thing.")] = None,
    slug: Annotated[str | None, typer.Option("--slug", help="An existing feature slug instead of a branch.")] = None,
    field: Annotated[str | None, typer.Option(help="Print one field only (e.g. slug, stack, ttl_days).")] = None,
) -> None:
    """Show the feature environment a branch gets (slug, stack, catalog, expiry if created today) as JSON."""
    from retailflow.config import load_feature_environment

    if (branch is None) == (slug is None):
        raise CliError("feature: give a branch name or --slug (one of them)")
    config, expires_on = load_feature_environment(branch, slug=slug)
    assert config.feature is not None
    info = {
        "branch": branch or "",
        "slug": config.name.removeprefix("feature-"),
        "environment": config.name,
        "stack": config.stack_name,
        "catalog": config.catalog,
        "expires_on": expires_on.isoformat(),
        "ttl_days": str(config.feature.ttl_days),
        "base_environment": config.feature.base_environment,
        "state_account": config.state.storage_account_name or "",
        "state_container": config.state.container_name or "",
    }
    if field is not None:
        if field not in info:
            raise CliError(f"--field: {field!r} is not one of {', '.join(info)}")
        print(info[field])
        return
    print(json.dumps(info, indent=2))


@app.command()
def smoke(
    env: Annotated[str, typer.Option("--env", help="Environment (dev, stg, prod or feature-<slug>).")],
    host: Annotated[str | None, typer.Option(help="Workspace URL (the stack's workspace_url output).")] = None,
    workload: Annotated[str, typer.Option(help="Workload whose job to run.")] = "retail_medallion",
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Check the job and its last run; start nothing.")
    ] = False,
    expect_artifact: Annotated[str | None, typer.Option(help="sha256 of the promoted wheel.")] = None,
    timeout: Annotated[int, typer.Option(help="Seconds to wait for the run.")] = 3600,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the API calls instead of making them.")] = False,
) -> None:
    """Post-deploy smoke: run the workload's job and wait for success (or --read-only checks for prod)."""
    from retailflow.naming import job_name
    from retailflow.smoke import SmokeFailed, dry_run_transport, http_transport
    from retailflow.smoke import smoke as run_smoke

    calls: list[str] = []
    if dry_run:
        transport = dry_run_transport(calls)
    else:
        token = os.environ.get("DATABRICKS_TOKEN")
        if not host or not token:
            raise CliError("smoke needs --host and DATABRICKS_TOKEN (an Azure AD token for the workspace)")
        transport = http_transport(host, token)
    try:
        result = run_smoke(
            transport,
            job_name(env, workload),
            read_only=read_only,
            expect_artifact=expect_artifact,
            timeout_seconds=timeout,
            poll_seconds=0 if dry_run else 20,
        )
    except SmokeFailed as err:
        raise CliError(f"smoke failed: {err}") from None
    for line in calls:
        console.print(f"[dim]would call[/] {line}", highlight=False)
    console.print(f"smoke passed: {result.job_name} (job {result.job_id}) {result.state}")


def _local_settings(
    raw: Path | None, lakehouse: Path | None, verbose: bool = False
) -> tuple[LocalConfig, LocalRunSettings]:
    from retailflow.local.run import configured_run

    local = load_local()
    lake = lakehouse or Path(local.lakehouse)
    return local, configured_run(local, lake, raw or (lake / "raw" if lakehouse else Path(local.raw)), verbose)


@app.command()
def generate(
    out: Annotated[Path | None, typer.Option("--out", help="RAW root to write (default: local.yaml raw).")] = None,
    scale: Annotated[float | None, typer.Option(min=0.001, max=100, help="1 = about 100k orders a week.")] = None,
    days: Annotated[
        int | None, typer.Option(min=1, max=366, help="Days the folder should hold; only the missing ones are written.")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
) -> None:
    """Write deterministic RAW data for the seven sources, with defects and corrections, and its manifest.

    Appends: a folder that holds fewer days keeps its files byte for byte and gets the new days."""
    import datetime as dt

    from retailflow.local.generator import GeneratorSettings, RawFileDiffers
    from retailflow.local.generator import generate as write_raw

    local = load_local()
    settings = GeneratorSettings(
        scale=scale if scale is not None else local.generator.scale,
        days=days if days is not None else local.generator.days,
        seed=seed if seed is not None else local.generator.seed,
        start_date=dt.date.fromisoformat(local.generator.start_date),
    )
    target = out or Path(local.raw)
    started = time.perf_counter()
    try:
        manifest = write_raw(target, settings)
    except RawFileDiffers as err:
        raise typer.BadParameter(str(err), param_hint="--out") from None
    console.print(f"RAW written to {target} in {time.perf_counter() - started:.1f} s")
    console.print_json(json.dumps(manifest["sources"]))


def _print_summary(summary: RunSummary) -> None:
    table = Table("task", "status", "rows in", "rows out", "quarantined", "seconds", title=f"run {summary.run_id}")
    for report in summary.reports:
        style = {"succeeded": "green", "failed": "red", "skipped": "yellow"}.get(report.status, "")
        table.add_row(
            report.task,
            f"[{style}]{report.status}[/]",
            str(report.outcome.rows_in),
            str(report.outcome.rows_out),
            str(report.outcome.rows_quarantined),
            f"{report.seconds:.2f}",
        )
    console.print(table)
    for report in summary.reports:
        if report.error:
            errors.print(f"[red]{report.task}[/]: {report.error}", highlight=False, soft_wrap=True)
    if summary.paths_skipped:
        console.print(
            f"[yellow]{summary.paths_skipped} RAW path(s) skipped[/]: not data files (each is in the log with why)"
        )
    console.print(f"{len(summary.reports)} task(s) in {summary.seconds:.1f} s")


def execute(
    raw: Path | None,
    lakehouse: Path | None,
    only: list[str] | None,
    from_date: str | None,
    to_date: str | None,
    replay: bool,
    as_json: bool,
    full_refresh: bool = False,
    verbose: bool = False,
) -> RunSummary:
    import datetime as dt

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from retailflow.local.lock import LakehouseBusy
    from retailflow.local.run import run_local
    from retailflow.workloads.retail.graph import PIPELINE
    from retailflow.workloads.runtime.graph import GraphError

    _, settings = _local_settings(raw, lakehouse, verbose)
    try:
        dates = [dt.date.fromisoformat(d) if d else None for d in (from_date, to_date)]
    except ValueError as err:
        raise CliError(f"--from-date/--to-date: {err} (use YYYY-MM-DD)") from None
    try:
        tasks = PIPELINE.select(only)
    except GraphError as err:
        raise CliError(f"--only: {err}") from None
    if not settings.raw.is_dir():
        raise CliError(f"--raw: {settings.raw} does not exist (run `retailflow generate` first)")
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=errors, disable=as_json
    ) as progress:
        bar = progress.add_task("pipeline", total=len(tasks))
        running: list[str] = []  # tasks run a few at once

        def on_event(event: str, report: object) -> None:
            task_name = getattr(report, "task", "")
            if event == "started":
                running.append(task_name)
            else:
                if event != "retrying":
                    progress.advance(bar)
                if task_name in running:
                    running.remove(task_name)
            progress.update(bar, description=f"running {', '.join(running)}" if running else "pipeline")

        try:
            summary = run_local(
                settings, only, dates[0], dates[1], replay, on_event=on_event, full_refresh=full_refresh
            )
        except LakehouseBusy as err:
            raise CliError(str(err)) from None
    if as_json:
        console.print_json(json.dumps(summary.as_dict()))
    else:
        _print_summary(summary)
    return summary


@app.command()
def run(
    raw: Annotated[Path | None, typer.Option(help="RAW root (default: local.yaml raw).")] = None,
    lakehouse: Annotated[Path | None, typer.Option(help="Local Delta root (default: .lakehouse).")] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only these tasks or workloads.")] = None,
    from_date: Annotated[str | None, typer.Option("--from-date", help="First ingestion_date (YYYY-MM-DD).")] = None,
    to_date: Annotated[str | None, typer.Option("--to-date", help="Last ingestion_date (YYYY-MM-DD).")] = None,
    replay: Annotated[bool, typer.Option(help="Re-ingest the date range even if already ingested.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild every silver and gold table, ignoring watermarks.")
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Run the pipeline graph locally (Sail engine process, local Delta tables)."""
    summary = execute(raw, lakehouse, only, from_date, to_date, replay, as_json, full_refresh, verbose)
    if not summary.ok:
        raise typer.Exit(1)


@app.command()
def land(
    local_sources: Annotated[
        bool, typer.Option("--local", help="Start local source systems (REST API, PostgreSQL, file drops) first.")
    ] = False,
    raw: Annotated[Path | None, typer.Option(help="RAW root to land into (default: local.yaml raw).")] = None,
    lakehouse: Annotated[Path | None, typer.Option(help="Local Delta root for ops (default: .lakehouse).")] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="With --local: days to land, one after the other.")] = 2,
    scale: Annotated[float | None, typer.Option(min=0.001, max=100, help="With --local: the sources' size.")] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    faults: Annotated[
        bool, typer.Option("--faults", help="With --local: throttling, errors, slow and repeated pages.")
    ] = False,
    source: Annotated[list[str] | None, typer.Option(help="Land only this source (repeatable).")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Land the sources' changes into RAW, by watermark: from local source systems (--local) or local.yaml's."""
    import datetime as dt

    from retailflow.local.generator import GeneratorSettings
    from retailflow.local.sources.land import land_configured, land_days
    from retailflow.local.sources.rest_server import Faults

    local, settings = _local_settings(raw, lakehouse, verbose)
    started = time.perf_counter()
    if local_sources:
        generator = GeneratorSettings(
            scale=scale if scale is not None else local.generator.scale,
            days=days,
            seed=seed if seed is not None else local.generator.seed,
            start_date=dt.date.fromisoformat(local.generator.start_date),
        )
        result = land_days(
            settings, generator, Faults.some() if faults else None, timeout_seconds=1.0 if faults else 10.0
        )
        reports = result.reports
    elif local.sources is None:
        fail("local.yaml has no `sources` section: name the source systems there, or use --local")
        return
    else:
        try:
            reports = land_configured(settings, local.sources, source)
        except ValueError as err:
            fail(str(err))
            return
    table = Table("task", "status", "records", "error", title=f"landed into {settings.raw}")
    for report in reports:
        table.add_row(report.task, report.status, str(report.outcome.rows_out), (report.error or "")[:80])
    console.print(table)
    console.print(f"in {time.perf_counter() - started:.1f} s")
    if any(r.status != "succeeded" for r in reports):
        raise typer.Exit(1)


@app.command()
def query(
    sql: Annotated[
        str, typer.Argument(help='SQL naming tables as schema.table, e.g. "SELECT * FROM gold.dim_customer"')
    ],
    role: Annotated[str, typer.Option("--as", help="The role to query as (analytics, pii_reader, gold_reader, ...).")],
    lakehouse: Annotated[Path | None, typer.Option(help="Local Delta root (default: local.yaml lakehouse).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"columns": [...], "rows": [{...}]}.')] = False,
) -> None:
    """Query the local lakehouse as a role sees it on Databricks: its schemas only, PII masked, rows by entitlement."""
    from retailflow.local.query import QueryRefused, run_as
    from retailflow.local.run import local_access_rules, open_engine, open_lakehouse

    _, settings = _local_settings(None, lakehouse)
    engine = open_engine(settings)
    try:
        result = run_as(open_lakehouse(engine, settings), local_access_rules(settings), role, sql)
    except QueryRefused as err:
        fail(str(err))
        return
    finally:
        engine.close()
    if as_json:
        print(json.dumps({"columns": result.columns, "rows": result.rows}, default=str))
        return
    table = Table(*result.columns, title=f"as {role}: {len(result.rows)} row(s)")
    for row in result.rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in result.columns))
    console.print(table)


@app.command()
def demo(
    lakehouse: Annotated[Path | None, typer.Option(help="Local Delta root (default: .lakehouse).")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Generate a small data set, run the whole graph locally, and show the result (and a PNG chart)."""
    from retailflow.local.demo import show_results

    _, settings = _local_settings(None, lakehouse, verbose)
    if not settings.raw.is_dir():
        generate(out=settings.raw, scale=None, days=None, seed=None)
    summary = execute(None, lakehouse, None, None, None, False, False, verbose=verbose)
    show_results(settings, console)
    if not summary.ok:
        raise typer.Exit(1)


@app.command()
def docs(
    check: Annotated[bool, typer.Option(help="Fail when the README's generated sections are stale.")] = False,
) -> None:
    """Regenerate the README sections built from data (grants matrix, pipeline graph)."""
    from retailflow import docs as readme

    if check:
        stale = readme.stale_sections()
        if stale:
            raise CliError(f"README.md: generated section(s) {', '.join(stale)} are stale; run `retailflow docs`")
        console.print("README.md generated sections are up to date")
        return
    readme.write()
    console.print("README.md generated sections rewritten")


class Stopped(BaseException):
    """SIGINT or SIGTERM: unwinds the run (the local engine is stopped, the lakehouse lock released) past typer,
    which would turn a KeyboardInterrupt into its own abort."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, _frame: object) -> None:
    raise Stopped(signum)


def main() -> None:
    # Installed, not inherited: a shell's background job starts with SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    try:
        app()
    except (ConfigError, CliError, ProjectNotFound, UnknownFlavour) as err:
        errors.print(f"[bold red]retailflow:[/] {err}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except Stopped as stop:
        what = "interrupted" if stop.signum == signal.SIGINT else "terminated (SIGTERM)"
        errors.print(STOPPED.format(what=what), highlight=False, soft_wrap=True)
        sys.exit(128 + stop.signum)
