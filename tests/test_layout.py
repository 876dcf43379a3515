"""The import root: one name per module, no symlinks, the `constructs` library never shadowed, synth without the
engine (docs/adr/0001-import-root.md)."""

import subprocess
import sys

from conftest import ROOT

BLOCK_ENGINE = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in ('pyspark', 'pysail', 'py4j', 'delta'):\n"
    "            raise ModuleNotFoundError(f'{name} is not installed')\n"
    "sys.meta_path.insert(0, Block())\n"
)


def python(code: str) -> subprocess.CompletedProcess[str]:
    """Run code as `python -P` from the repository root (the root is not put on sys.path)."""
    return subprocess.run([sys.executable, "-P", "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)


def test_no_symlink_is_committed():
    listing = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert [line for line in listing.splitlines() if line.startswith("120000")] == []


def test_library_and_project_constructs_both_import_from_the_repository_root():
    result = python(
        "import constructs, cdktf;"
        "assert hasattr(constructs, 'Construct'), constructs.__file__;"
        "import retailflow.constructs.network as n, retailflow.constructs.workload as w;"
        "print(constructs.__file__, n.Network.__name__, w.WorkloadJob.__name__)"
    )
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout and "Network WorkloadJob" in result.stdout


def test_each_module_has_one_import_name():
    for second_name in ("workloads", "stacks", "policies", "benchmarks"):
        result = python(f"import {second_name}")
        assert result.returncode == 1 and "ModuleNotFoundError" in result.stderr, second_name
    sys.path.insert(0, str(ROOT / "tools"))
    from typecheck import module_map

    modules = module_map()
    assert len(set(modules.values())) == len(modules)
    assert modules["retailflow.constructs.network"] == ROOT / "constructs" / "network.py"
    assert modules["retailflow.workloads.runtime.engine"] == ROOT / "workloads" / "runtime" / "engine.py"


def test_runtime_package_does_not_import_the_deploy_toolchain():
    result = python(
        "import sys, retailflow.workloads.retail.tasks, retailflow.workloads.runtime.entrypoint;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('cdktf', 'cdktn', 'jsii', 'checkov', 'pysail', 'typer')"
        " or m.startswith('retailflow.local')];"
        "print(bad); assert not bad"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_synth_runs_with_the_engine_absent(tmp_path):
    result = python(
        BLOCK_ENGINE + "from retailflow.cli import main\n"
        f"sys.argv = ['retailflow', 'synth', '--env', 'dev', '--outdir', {str(tmp_path)!r}]\n"
        "main()\n"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "stacks" / "retailflow-dev" / "cdk.tf.json").is_file()
    assert "pyspark" not in result.stderr
