"""Where the checkout the toolchain works on is: environments, README, the workloads to package, generated files.

The toolchain is installed (editable or not) and works on a checkout, as cdktf and make do: the checkout is
`RETAILFLOW_PROJECT_ROOT`, else the nearest folder at or above the working directory that holds `cdktf.json`.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_VARIABLE = "RETAILFLOW_PROJECT_ROOT"
MARKER = "cdktf.json"


class ProjectNotFound(RuntimeError):
    """Not inside a RetailFlow checkout."""


def project_root(start: Path | None = None) -> Path:
    configured = os.environ.get(ROOT_VARIABLE)
    if configured:
        root = Path(configured)
        if not (root / MARKER).is_file():
            raise ProjectNotFound(f"{ROOT_VARIABLE}={configured}: no {MARKER} there (not a RetailFlow checkout)")
        return root
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    raise ProjectNotFound(f"{here}: not inside a RetailFlow checkout (no {MARKER} here or above); set {ROOT_VARIABLE}")
