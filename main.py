"""The cdktf app (`cdktf synth` runs this): every environment's stack, plus a feature stack when requested."""

import sys

from retailflow.config import ConfigError
from retailflow.stacks.app import build_app

if __name__ == "__main__":
    try:
        app, _ = build_app()
    except ConfigError as err:
        sys.exit(f"retailflow: {err}")
    app.synth()
