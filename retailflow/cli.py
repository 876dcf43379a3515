"""The `retailflow` command line: environments, synth, scan, generate, run, demo."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from retailflow.config import ConfigError, load_environment, load_local, standard_environments

app = typer.Typer(
    help="RetailFlow: synthesize, scan and run the Azure + Databricks medallion platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


class CliError(Exception):
    """An error the CLI prints as one line (exit code 2)."""


def fail(message: str, code: int = 2) -> None:
    errors.print(f"[bold red]retailflow:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _silence_jsii() -> None:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")  # node majors past EOL
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


@app.command()
def envs() -> None:
    """List the environments, their kind and their stack names (validates every file)."""
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


def synthesize(envs: list[str] | None, feature: str | None, outdir: Path) -> list[str]:
    _silence_jsii()
    from retailflow.stacks.app import build_app

    app_, names = build_app(outdir=outdir, environments=envs or None, feature=feature)
    app_.synth()
    return names


EnvOption = Annotated[list[str] | None, typer.Option("--env", "-e", help="Environment(s); default: all.")]
FeatureOption = Annotated[
    str | None, typer.Option("--feature", "-f", help="Also synthesize the feature stack of this branch name.")
]
OutdirOption = Annotated[Path, typer.Option("--outdir", help="Where stacks are written.")]


@app.command()
def synth(env: EnvOption = None, feature: FeatureOption = None, outdir: OutdirOption = Path("cdktf.out")) -> None:
    """Synthesize stacks to <outdir>/stacks/<stack>/cdk.tf.json (the same output as `cdktf synth`)."""
    started = time.perf_counter()
    names = synthesize(env, feature, outdir)
    for name in names:
        console.print(f"synthesized [bold]{name}[/] -> {outdir / 'stacks' / name / 'cdk.tf.json'}")
    console.print(f"{len(names)} stack(s) in {time.perf_counter() - started:.1f} s")


def main() -> None:
    try:
        app()
    except (ConfigError, CliError) as err:
        errors.print(f"[bold red]retailflow:[/] {err}", highlight=False, soft_wrap=True)
        sys.exit(2)
