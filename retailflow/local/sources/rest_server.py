"""A REST source on loopback: the published records of orders, customers and payments, paged by cursor, behind an
API key, with faults on request: throttling (429 with Retry-After), a server error, a page slower than the client
waits, and a page delivered twice."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, HTTPException, Query
from fastapi.responses import JSONResponse

from retailflow.local.sources.published import Published


@dataclass
class Faults:
    """Every n-th request (per source) meets the fault; 0: never."""

    throttle_every: int = 0
    error_every: int = 0
    slow_every: int = 0
    duplicate_every: int = 0
    slow_seconds: float = 2.0
    retry_after_seconds: int = 1
    counts: dict[str, int] = field(default_factory=dict)
    met: dict[str, int] = field(default_factory=dict)

    @classmethod
    def some(cls) -> Faults:
        return cls(throttle_every=5, error_every=7, slow_every=11, duplicate_every=3)

    def meet(self, source: str) -> str | None:
        n = self.counts[source] = self.counts.get(source, 0) + 1
        for name, every in (
            ("throttle", self.throttle_every),
            ("error", self.error_every),
            ("slow", self.slow_every),
            ("duplicate", self.duplicate_every),
        ):
            if every and n % every == 0:
                self.met[name] = self.met.get(name, 0) + 1
                return name
        return None


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        raise HTTPException(400, "bad cursor") from None


def create_app(
    published: Published, api_key: str, faults: Faults | None = None, sources: tuple[str, ...] = ()
) -> FastAPI:
    app = FastAPI(title="RetailFlow local sources", docs_url=None, redoc_url=None)
    faults = faults or Faults()
    last_page: dict[tuple[str, str, str], dict[str, Any]] = {}  # per source and window

    @app.get("/api/v1/{source}")
    def page(
        source: str,
        updated_since: str = Query(...),
        updated_until: str = Query(...),
        limit: int = Query(500, ge=1, le=5000),
        cursor: str | None = None,
        x_api_key: str | None = Header(default=None),
    ) -> Any:
        if x_api_key is None or not hmac.compare_digest(x_api_key, api_key):
            raise HTTPException(401, "missing or wrong API key")
        if source not in sources:
            raise HTTPException(404, f"no source {source}")
        fault = faults.meet(source)
        if fault == "throttle":
            return JSONResponse({"error": "slow down"}, 429, {"Retry-After": str(faults.retry_after_seconds)})
        if fault == "error":
            return JSONResponse({"error": "internal"}, 500)
        if fault == "slow":
            time.sleep(faults.slow_seconds)
        window = (source, updated_since, updated_until)
        if fault == "duplicate" and window in last_page:
            return last_page[window]  # the page before, again
        rows = [r for changed, r in published.records[source] if updated_since < changed <= updated_until]
        start = _offset(cursor)
        chunk = rows[start : start + limit]
        following = start + limit if start + limit < len(rows) else None
        page_id = hashlib.sha256(f"{source}|{updated_since}|{updated_until}|{start}".encode()).hexdigest()[:16]
        body = {
            "page_id": page_id,
            "records": chunk,
            "next_cursor": None if following is None else _cursor(following),
        }
        last_page[window] = body
        return body

    return app


class LocalRestServer:
    """The app served by uvicorn in a thread, on a free loopback port."""

    def __init__(self, app: FastAPI) -> None:
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, name="local-rest-source", daemon=True)

    def __enter__(self) -> LocalRestServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the local REST source did not start")
            time.sleep(0.05)
        return self

    @property
    def base_url(self) -> str:
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/api/v1"

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
