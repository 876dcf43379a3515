"""A REST source: the records changed in a window, page by page.

The API answers `GET <base><path>?updated_since=S&updated_until=U&limit=N[&cursor=C]` with
`{"page_id": ..., "records": [...], "next_cursor": ... | null}`, authenticated by an `X-API-Key` header.
`updated_since` is the API's change time (when a record was published or republished), not the record's own
`updated_at`, so a late correction with an old `updated_at` still arrives. Throttling (429) and server errors (5xx)
are retried with backoff, honouring `Retry-After`; a timeout or a dropped connection too. A page delivered again (a
`page_id` already received) is dropped and the request repeated. Standard library only: the job wheel requires nothing.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from retailflow.workloads.runtime.landing import Window
from retailflow.workloads.runtime.secrets import Secret

RETRIED = {429, 500, 502, 503, 504}


class SourceError(RuntimeError):
    """A source refused or failed for good (the message names the source and the status, never a credential)."""


@dataclass(frozen=True)
class RestEndpoint:
    name: str
    url: str  # base URL and path, e.g. https://orders.example/api/v1/orders
    page_size: int = 500
    timeout_seconds: float = 10.0
    attempts: int = 6
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    repeated_pages: int = 5  # the same page this many times in a row: the API is stuck


def pages(
    endpoint: RestEndpoint,
    api_key: Secret,
    window: Window,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[list[dict[str, Any]]]:
    """Each page's records, in order, each page once."""
    cursor: str | None = None
    seen: set[str] = set()
    repeats = 0
    while True:
        query = {"updated_since": window.since, "updated_until": window.until, "limit": endpoint.page_size}
        if cursor is not None:
            query["cursor"] = cursor
        body = _get(endpoint, f"{endpoint.url}?{urllib.parse.urlencode(query)}", api_key, sleep)
        page_id = str(body["page_id"])
        if page_id in seen:  # a page delivered again: dropped, and the same request asked once more
            repeats += 1
            if repeats >= endpoint.repeated_pages:
                raise SourceError(f"source {endpoint.name}: {repeats} pages in a row were ones already received")
            continue
        repeats = 0
        seen.add(page_id)
        yield list(body["records"])
        cursor = body.get("next_cursor")
        if not cursor:
            return


def _get(endpoint: RestEndpoint, url: str, api_key: Secret, sleep: Callable[[float], None]) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"X-API-Key": api_key.reveal(), "Accept": "application/json"})
    where = f"source {endpoint.name} ({url.split('?')[0]})"
    for attempt in range(1, endpoint.attempts + 1):
        wait = min(endpoint.max_backoff_seconds, endpoint.backoff_seconds * 2 ** (attempt - 1))
        try:
            with urllib.request.urlopen(request, timeout=endpoint.timeout_seconds) as response:
                body = json.loads(response.read())
            if not isinstance(body, dict) or not isinstance(body.get("records"), list) or "page_id" not in body:
                raise SourceError(f"{where}: the answer is not a page of records")
            return body
        except urllib.error.HTTPError as err:
            if err.code in (401, 403):
                raise SourceError(f"{where}: the API key was refused (HTTP {err.code})") from None
            if err.code not in RETRIED:
                raise SourceError(f"{where}: HTTP {err.code}") from None
            retry_after = err.headers.get("Retry-After")
            if retry_after is not None and retry_after.strip().isdigit():
                wait = min(endpoint.max_backoff_seconds, float(retry_after))
            reason = f"HTTP {err.code}"
        except (TimeoutError, urllib.error.URLError, ConnectionError) as err:
            reason = type(err).__name__
        except json.JSONDecodeError:
            reason = "an answer that is not JSON"
        if attempt == endpoint.attempts:
            raise SourceError(f"{where}: {reason} after {attempt} attempts")
        sleep(wait)
    raise AssertionError("unreachable")
