"""cdktf and its maintained fork CDK Terrain (cdktn) side by side: one module imports the CDK, RETAILFLOW_CDK picks
the flavour, and both synthesize the same JSON but for version metadata and provider pins (docs/adr/0004)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import FEATURE_BRANCH, ROOT

BIN = Path(sys.executable).parent
CDK_IMPORT = re.compile(r"^\s*(from|import)\s+(cdktf|cdktn)\b|cdktf_cdktf_provider_|cdktn_provider_", re.M)


def without_versions(stack: dict) -> dict:
    """A synthesized stack less what the flavour decides: the CDK's version and the providers' version pins."""
    stack = json.loads(json.dumps(stack))
    stack["//"]["metadata"].pop("version")
    for provider in stack["terraform"]["required_providers"].values():
        provider.pop("version")
    return stack


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "CHECKPOINT_DISABLE": "1", **env}
    return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, check=False, env=environment)


def test_both_flavours_synthesize_the_same_stacks_but_for_versions(synth_dir, tmp_path):
    result = run(
        str(BIN / "retailflow"), "synth", "--feature", FEATURE_BRANCH, "--outdir", str(tmp_path), RETAILFLOW_CDK="cdktn"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = sorted(p.name for p in (synth_dir / "stacks").iterdir())
    assert sorted(p.name for p in (tmp_path / "stacks").iterdir()) == names
    for name in names:
        cdktf = json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text())
        cdktn = json.loads((tmp_path / "stacks" / name / "cdk.tf.json").read_text())
        assert without_versions(cdktn) == without_versions(cdktf), name
        assert (cdktf["//"]["metadata"]["version"], cdktn["//"]["metadata"]["version"]) == ("0.21.0", "0.24.0")
        pins = {p: v["version"] for p, v in cdktn["terraform"]["required_providers"].items()}
        assert pins["azurerm"].startswith("4.") and pins["databricks"] == "1.138.0"  # azurerm 5 is its own step


def test_the_cdktn_cli_synthesizes_the_app(tmp_path):
    result = run(
        str(ROOT / "node_modules" / ".bin" / "cdktn"),
        "synth",
        "--output",
        str(tmp_path),
        RETAILFLOW_CDK="cdktn",
        CI="1",
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "stacks").iterdir()) == [
        "retailflow-dev",
        "retailflow-prod",
        "retailflow-stg",
    ]


def test_an_unknown_flavour_is_a_one_line_error(tmp_path):
    result = run(str(BIN / "retailflow"), "synth", "--outdir", str(tmp_path), RETAILFLOW_CDK="cdkx")
    assert result.returncode == 2
    assert (
        "RETAILFLOW_CDK='cdkx': unknown CDK (known: cdktf, cdktn)" in result.stderr and "Traceback" not in result.stderr
    )


def test_only_the_cdk_module_imports_the_cdk():
    sources = [
        p for d in ("constructs", "stacks", "retailflow", "policies", "workloads") for p in (ROOT / d).rglob("*.py")
    ]
    importing = [str(p.relative_to(ROOT)) for p in sources if CDK_IMPORT.search(p.read_text())]
    assert importing == ["retailflow/cdk.py"]
