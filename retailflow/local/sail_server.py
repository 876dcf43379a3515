"""The local engine's process: a Sail Spark Connect server on loopback, until its parent closes our stdin.

Started by `retailflow.local.engine.SailServerProcess`; prints `host:port` on one line when it listens. Its settings come from the
environment it is started with. A parent that exits or dies closes the pipe, so the server never outlives it.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    from pysail.spark import SparkConnectServer  # the local engine only; never installed on Databricks

    server = SparkConnectServer("127.0.0.1", 0)
    server.start(background=True)
    host, port = server.listening_address
    print(f"{host}:{port}", flush=True)
    os.dup2(2, 1)  # anything printed later goes to stderr, never into the pipe nobody reads any more
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
