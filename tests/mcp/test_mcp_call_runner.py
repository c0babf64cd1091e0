"""Tool calls take turns and are bounded in time from their turn on: what the client is answered, and when."""

from __future__ import annotations

import io
import json
import threading
import time
from typing import Any

import pytest

from app.mcp import call_runner
from app.mcp.call_runner import CallRunner
from app.mcp.errors import Reason, ToolRefusal
from app.mcp.jsonrpc import Channel
from connectors.outside_text import clean
from tests.support import wait_until


class SlowService:
    """Stands in for McpService: each call takes ``seconds`` (or waits for ``release``), counted as it runs."""

    def __init__(self, seconds: float, timeout: float) -> None:
        self.seconds = seconds
        self.timeout = timeout
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.names: list[str] = []

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.names.append(name)
        try:
            self.release.wait(self.seconds)
            if name == "refused":
                raise ToolRefusal(Reason.BAD_INPUT, "Not like that.")
            return {"name": name, "text": "line\nbreak \x1b[31mred"}
        finally:
            with self.lock:
                self.running -= 1


class Client:
    """The answers a client would read, one JSON object per line."""

    def __init__(self) -> None:
        self.wire = io.BytesIO()
        self.channel = Channel(self.wire)

    def answers(self) -> dict[Any, dict[str, Any]]:
        lines = self.wire.getvalue().decode().splitlines()
        answers = [json.loads(line) for line in lines]
        assert len({answer["id"] for answer in answers}) == len(answers), "a request was answered twice"
        return {answer["id"]: answer for answer in answers}

    def wait_for(self, *ids: int, within: float = 20) -> dict[Any, dict[str, Any]]:
        deadline = time.monotonic() + within
        while not set(ids) <= set(self.answers()):
            assert time.monotonic() < deadline, f"no answer to {set(ids) - set(self.answers())}"
            time.sleep(0.02)
        return self.answers()


def test_results_and_refusals_are_shaped_for_the_client() -> None:
    client, runner, service = Client(), CallRunner(), SlowService(0, timeout=10)
    runner.submit(client.channel.open_request(1, "tools/call", {}), service, "fine", {})  # type: ignore[arg-type]
    runner.submit(client.channel.open_request(2, "tools/call", {}), service, "refused", {})  # type: ignore[arg-type]
    answers = client.wait_for(1, 2)
    fine, refused = answers[1]["result"], answers[2]["result"]
    assert fine["isError"] is False
    assert fine["structuredContent"]["text"] == clean("line\nbreak \x1b[31mred", multiline=True)
    assert "\n" in fine["structuredContent"]["text"] and "\x1b" not in fine["content"][0]["text"]
    assert json.loads(fine["content"][0]["text"]) == fine["structuredContent"]
    assert refused["isError"] is True
    assert refused["structuredContent"]["error"]["reason"] == "bad_input"
    assert refused["content"][0]["text"].startswith("Not like that.")


def test_a_call_past_its_time_limit_is_answered_once_with_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(call_runner, "GRACE_SECONDS", 0.2)
    client, runner, service = Client(), CallRunner(), SlowService(60, timeout=0.3)
    runner.submit(client.channel.open_request(1, "tools/call", {}), service, "hung", {})  # type: ignore[arg-type]
    error = client.wait_for(1)[1]["result"]
    assert error["isError"] is True and error["structuredContent"]["error"]["reason"] == "timeout"
    service.release.set()  # the connector returns after all: its late result is not sent
    runner.submit(client.channel.open_request(2, "tools/call", {}), service, "next", {})  # type: ignore[arg-type]
    answers = client.wait_for(2)
    assert answers[1]["result"] == error and answers[2]["result"]["isError"] is False


def test_calls_take_turns_and_waiting_does_not_count_towards_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(call_runner, "GRACE_SECONDS", 0.5)
    client, runner = Client(), CallRunner(limit=2)
    service = SlowService(1.2, timeout=1.5)  # each call fits its 2 s limit; the third waits 1.2 s for a turn first
    for request_id in (1, 2, 3):
        runner.submit(client.channel.open_request(request_id, "tools/call", {}), service, f"call {request_id}", {})  # type: ignore[arg-type]
    answers = client.wait_for(1, 2, 3)
    assert all(answers[request_id]["result"]["isError"] is False for request_id in (1, 2, 3))
    assert service.peak == 2


def test_a_call_cancelled_while_it_waits_never_runs_and_is_never_answered() -> None:
    client, runner, service = Client(), CallRunner(limit=1), SlowService(0.5, timeout=10)
    first = client.channel.open_request(1, "tools/call", {})
    waiting = client.channel.open_request(2, "tools/call", {})
    runner.submit(first, service, "first", {})  # type: ignore[arg-type]
    runner.submit(waiting, service, "waiting", {})  # type: ignore[arg-type]
    client.channel.cancel(2)
    runner.submit(client.channel.open_request(3, "tools/call", {}), service, "third", {})  # type: ignore[arg-type]
    answers = client.wait_for(1, 3)
    assert 2 not in answers
    assert service.names == ["first", "third"]


def test_calls_beyond_the_waiting_room_are_refused_at_once_and_the_rest_still_run() -> None:
    client, runner, service = Client(), CallRunner(limit=1, max_waiting=2), SlowService(60, timeout=120)
    runner.submit(client.channel.open_request(1, "tools/call", {}), service, "call 1", {})  # type: ignore[arg-type]
    wait_until(lambda: service.running == 1, "the first call to run")
    for request_id in range(2, 6):
        runner.submit(client.channel.open_request(request_id, "tools/call", {}), service, f"call {request_id}", {})  # type: ignore[arg-type]
    # One runs, two wait; the others are turned away at once, without waiting for the running call.
    refused = [client.wait_for(request_id, within=5)[request_id]["result"] for request_id in (4, 5)]
    assert all(result["isError"] is True for result in refused)
    assert {result["structuredContent"]["error"]["reason"] for result in refused} == {"rate_limited"}
    assert "already waiting" in refused[0]["content"][0]["text"]
    service.release.set()
    answers = client.wait_for(1, 2, 3)
    assert all(answers[request_id]["result"]["isError"] is False for request_id in (1, 2, 3))
