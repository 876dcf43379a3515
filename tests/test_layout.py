"""The `constructs` folder must not shadow the `constructs` library cdktf imports."""

import subprocess
import sys

from conftest import ROOT


def test_library_and_project_constructs_both_import_from_the_repository_root():
    code = (
        "import constructs, cdktf;"
        "assert hasattr(constructs, 'Construct'), constructs.__file__;"
        "import retailflow.constructs.network as n, retailflow.constructs.workload as w;"
        "print(constructs.__file__, n.Network.__name__, w.WorkloadJob.__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout and "Network WorkloadJob" in result.stdout


def test_runtime_package_does_not_import_the_deploy_toolchain():
    code = (
        "import sys, retailflow.workloads.retail.pipeline, retailflow.workloads.runtime.entrypoint;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('cdktf', 'jsii', 'checkov', 'pysail', 'typer')];"
        "print(bad); assert not bad"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
