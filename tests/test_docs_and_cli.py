"""Generated README sections and the CLI's synth behaviour."""

import json
import os
import subprocess
import sys

from conftest import ROOT

from retailflow.docs import stale_sections


def test_readme_generated_sections_are_current():
    assert stale_sections() == [], "run `retailflow docs`"


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "retailflow", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_synth_refuses_a_feature_name_that_makes_no_slug(tmp_path):
    result = run_cli("synth", "--feature", "!!!", "--outdir", str(tmp_path))
    assert result.returncode == 2
    assert "feature name '!!!' cannot make a slug" in result.stderr and "Traceback" not in result.stderr


def test_synth_of_a_feature_from_the_environment_variable(tmp_path):
    result = run_cli(
        "synth", "--env", "dev", "--outdir", str(tmp_path), env={"RETAILFLOW_FEATURE": "Feature/ABC-123_New-Thing"}
    )
    assert result.returncode == 0, result.stderr
    stack = tmp_path / "stacks" / "retailflow-feature-abc-123-new-thing-91e125" / "cdk.tf.json"
    assert json.loads(stack.read_text())["resource"]["databricks_catalog"]
    assert (tmp_path / "stacks" / "retailflow-dev" / "cdk.tf.json").is_file()
    assert not (tmp_path / "stacks" / "retailflow-prod").exists()


def test_unknown_environment_is_a_clear_error(tmp_path):
    result = run_cli("synth", "--env", "qa", "--outdir", str(tmp_path))
    assert result.returncode == 2 and "--env: unknown environment 'qa'" in result.stderr


def test_the_cli_prints_its_own_lines_and_the_engine_logs_to_the_run_log(tmp_path):
    from retailflow.local.generator import GeneratorSettings, generate

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    generate(raw, GeneratorSettings(scale=0.01, days=1, seed=3))
    command = [str(ROOT / ".venv" / "bin" / "retailflow"), "run", "--raw", str(raw), "--lakehouse", str(lake)]
    quiet = subprocess.run([*command, "--only", "bronze_products"], capture_output=True, text=True, check=False)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "bronze_products" in quiet.stdout
    assert "sail" not in (quiet.stdout + quiet.stderr).lower()
    assert "Starting the Spark Connect server" in (lake / "logs" / "engine.log").read_text()
    verbose = subprocess.run(
        [*command, "--only", "bronze_products", "--verbose"], capture_output=True, text=True, check=False
    )
    assert "Starting the Spark Connect server" in verbose.stderr


def test_the_benchmark_puts_its_latest_table_between_the_page_markers(tmp_path):
    from retailflow.benchmarks.__main__ import publish

    page = tmp_path / "performance.md"
    page.write_text("# Performance\nintro\n<!-- BEGIN benchmark -->\nold\n<!-- END benchmark -->\nprose\n")
    publish("| measure | value |\n|---|---|\n| x | 1 |\n", page)
    assert page.read_text() == (
        "# Performance\nintro\n<!-- BEGIN benchmark -->\n| measure | value |\n|---|---|\n| x | 1 |\n"
        "<!-- END benchmark -->\nprose\n"
    )
