"""The channel to the local engine asks a call that only reads again when its answer arrives corrupt, and no other.

A fake Spark Connect server answers config calls, the first answers of the test's reads with bytes that are no
`ConfigResponse`; the client is the local engine's own session (`engine._session`)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from pyspark.sql.connect import proto

from retailflow.local.engine import _session
from retailflow.local.engine_channel import CORRUPT_ANSWER, AskAgainOnCorruptAnswer

NOT_A_CONFIG_RESPONSE = b"\x0a\xff\x01"  # field 1 says 255 bytes follow; one does


class FakeEngine:
    """Answers config calls; the first `corrupt` reads (`get`) get an undecodable answer."""

    def __init__(self, corrupt: int) -> None:
        self.corrupt = corrupt
        self.reads = 0

    def config(self, request: proto.ConfigRequest, _context: grpc.ServicerContext) -> bytes:
        answer = proto.ConfigResponse(session_id=request.session_id, server_side_session_id="fake-engine")
        if request.operation.WhichOneof("op_type") == "get":
            self.reads += 1
            if self.reads <= self.corrupt:
                return NOT_A_CONFIG_RESPONSE
            answer.pairs.extend(proto.KeyValue(key=k, value="UTC") for k in request.operation.get.keys)
        return answer.SerializeToString()


@pytest.fixture
def serve() -> Iterator:
    servers: list[grpc.Server] = []

    def start(fake: FakeEngine) -> str:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        handler = grpc.unary_unary_rpc_method_handler(
            fake.config, request_deserializer=proto.ConfigRequest.FromString, response_serializer=lambda b: b
        )
        server.add_generic_rpc_handlers(
            [grpc.method_handlers_generic_handler("spark.connect.SparkConnectService", {"Config": handler})]
        )
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return f"sc://127.0.0.1:{port}"

    yield start
    for server in servers:
        server.stop(None)


def test_a_config_answer_that_arrives_corrupt_is_asked_for_again(serve):
    fake = FakeEngine(corrupt=2)
    spark = _session(serve(fake))
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert fake.reads == 3  # two corrupt answers, then the one decoded


def test_an_answer_corrupt_every_time_fails_after_three_asks_naming_the_cause(serve):
    fake = FakeEngine(corrupt=10)
    spark = _session(serve(fake))
    with pytest.raises(Exception, match="deserializing response"):
        spark.conf.get("spark.sql.session.timeZone")
    assert fake.reads == 3


class CorruptOutcome(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    """What gRPC gives an interceptor for a call whose answer it could not decode."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.INTERNAL

    def details(self) -> str:
        return CORRUPT_ANSWER


class Details:
    def __init__(self, method: str) -> None:
        self.method = method


@pytest.mark.parametrize(
    ("method", "asks"),
    [
        ("/spark.connect.SparkConnectService/Config", 3),
        ("/spark.connect.SparkConnectService/AnalyzePlan", 3),
        ("/spark.connect.SparkConnectService/ReleaseExecute", 1),  # not a read: never asked twice
        ("/spark.connect.SparkConnectService/Interrupt", 1),
    ],
)
def test_only_calls_that_change_nothing_are_asked_again(method, asks):
    calls: list[str] = []

    def continuation(details, _request):
        calls.append(details.method)
        return CorruptOutcome()

    outcome = AskAgainOnCorruptAnswer().intercept_unary_unary(continuation, Details(method), object())
    assert isinstance(outcome, CorruptOutcome) and calls == [method] * asks
