"""Fault injection for tests: with this folder on PYTHONPATH, every Python process of a
command replaces the bytes of the Nth reply to the engine's configuration calls (counted per
process), N in $WEBLOGS_TEST_UNDECODABLE_CONFIG_REPLIES, with bytes no protobuf parser
accepts: grpc then fails the call as it did in the fault seen in CI ("Exception
deserializing message ... Error parsing message with type 'spark.connect.ConfigResponse'").
`NxK` spoils the Nth reply and the next K-1 replies on the same thread (a call sent again
gets its reply on the thread that sent it; another of dbt's threads may take the next
number in between)."""

import os
import threading

_SPEC = os.environ.get("WEBLOGS_TEST_UNDECODABLE_CONFIG_REPLIES", "").strip()

if _SPEC:
    import grpc._common

    _first, _, _times = _SPEC.partition("x")
    _FIRST = int(_first)
    _deserialize = grpc._common.deserialize
    _lock = threading.Lock()
    _seen = [0]
    _left = threading.local()

    def _spoiled(message, deserializer):
        if "ConfigResponse" in getattr(deserializer, "__qualname__", ""):
            with _lock:
                _seen[0] += 1
                number = _seen[0]
            if number == _FIRST:
                _left.count = int(_times or "1")
            if getattr(_left, "count", 0) > 0:
                _left.count -= 1
                message = b"\xff\xff\xff"
        return _deserialize(message, deserializer)

    grpc._common.deserialize = _spoiled
