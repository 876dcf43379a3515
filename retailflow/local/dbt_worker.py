"""A `dbt` process started before its build is asked for: it imports dbt, its Spark adapter and the Spark Connect
client (3-4 s of a marts task on this machine), then waits for one request on stdin, a JSON line of the command's
arguments and environment, runs dbt's command line with them and exits with dbt's exit code. An end of input
before a request (the run ended without the build) exits at once.

Run by the dbt environment's Python (`.venv-dbt`), which has dbt and not retailflow: the standard library only,
besides dbt's own modules. `retailflow.local.dbt` starts it and sends the request."""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    import dbt.adapters.spark  # noqa: F401  (loaded by the build's first connection otherwise)
    import pyspark.sql.connect.session  # noqa: F401
    from dbt.cli.main import cli  # what `dbt` (the console script) runs

    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    request = json.loads(line)
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["dbt", *request["args"]]
    sys.exit(cli())


if __name__ == "__main__":
    main()
