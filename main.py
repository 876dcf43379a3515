"""The cdktf app (`cdktf synth` runs this): every environment's stack, plus a feature stack when requested."""

import sys

from retailflow.cdk import UnknownFlavour
from retailflow.config import ConfigError
from retailflow.node import use_project_node

if __name__ == "__main__":
    use_project_node()
    from retailflow.stacks.app import build_app

    try:
        app, _ = build_app()
    except (ConfigError, UnknownFlavour) as err:
        sys.exit(f"retailflow: {err}")
    app.synth()
