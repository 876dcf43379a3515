"""The client's channel to the local engine: a call that only reads the session's state is asked again when its
answer arrives corrupt.

Seen rarely, with two tasks at once on one session: the answer to a config call could not be decoded
(`DecodeError` of `ConfigResponse`, "Wire format was corrupt"), which gRPC reports as an internal error of the call.
Spark Connect's own retries do not cover it, and every `collect` makes a config call. Asking again is safe only where
the call changes nothing, or sets a value again: config and plan analysis. A plan's execution is not asked again (a
write could run twice); a task that lost such an answer is run again alone by the runner
(`LocalEngine.retry_reason`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import grpc

log = logging.getLogger("retailflow.engine")

SERVICE = "/spark.connect.SparkConnectService/"
ASKED_AGAIN = frozenset({f"{SERVICE}Config", f"{SERVICE}AnalyzePlan"})
CORRUPT_ANSWER = "Exception deserializing response!"  # gRPC's details of an answer it could not decode


def corrupt_answer(outcome: Any) -> bool:
    """The call failed because its answer could not be decoded (not because the engine said it failed)."""
    return (
        isinstance(outcome, grpc.RpcError)
        and isinstance(outcome, grpc.Call)
        and outcome.code() == grpc.StatusCode.INTERNAL
        and outcome.details() == CORRUPT_ANSWER
    )


class AskAgainOnCorruptAnswer(grpc.UnaryUnaryClientInterceptor):
    """Asks a config or analysis call again, up to `attempts` in all, while its answer arrives corrupt."""

    def __init__(self, attempts: int = 3) -> None:
        self.attempts = attempts

    def intercept_unary_unary(
        self, continuation: Callable[[Any, Any], Any], client_call_details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        outcome = continuation(client_call_details, request)
        if client_call_details.method not in ASKED_AGAIN:
            return outcome
        for attempt in range(2, self.attempts + 1):
            if not corrupt_answer(outcome):
                break
            log.warning(
                f"the local engine's answer to {client_call_details.method} arrived corrupt; asking again",
                extra={"fields": {"attempt": attempt}},
            )
            outcome = continuation(client_call_details, request)
        return outcome
