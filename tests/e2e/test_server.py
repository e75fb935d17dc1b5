"""The shared server over real HTTP: health, metrics, logs without secrets."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.advisor import Advisor
from bot.core.conversation import Inbound
from bot.observability import _JsonFormatter, redact
from bot.server import create_app
from bot.store.base import ConversationKey
from tests.e2e.local_http import serve_locally
from tests.fakes import FakeStore


class DownStore(FakeStore):
    async def ping(self) -> bool:
        return False


@pytest.fixture
async def advisor(engine) -> Advisor:
    return Advisor(engine, FakeStore())


@pytest.fixture
async def base_url(advisor) -> AsyncIterator[str]:
    runner, url = await serve_locally(create_app(advisor))
    yield url
    await runner.cleanup()


async def test_healthz_is_200_with_a_json_body_when_the_store_answers(base_url) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "store": True}


async def test_healthz_is_503_when_the_store_does_not_answer(engine) -> None:
    runner, url = await serve_locally(create_app(Advisor(engine, DownStore())))
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as response:
            assert response.status == 503
            assert (await response.json())["status"] == "unavailable"
    finally:
        await runner.cleanup()


async def test_metrics_count_turns_checks_and_outcomes(base_url, advisor) -> None:
    key = ConversationKey("terminal", "W", "C", "metrics-user")
    await advisor.start(key)
    for text in ["fork", "none", "yes"]:
        await advisor.handle(key, Inbound.typed(text))
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/metrics") as response:
        body = await response.text()
    assert response.status == 200
    assert 'osc_turns_total{platform="terminal"}' in body
    assert 'osc_checks_completed_total{platform="terminal"}' in body
    assert 'osc_outcomes_total{path="contribute_upstream"}' in body
    assert "osc_request_seconds_bucket" in body


async def test_unknown_routes_are_404_and_measured(base_url) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base_url}/nope") as response:
            assert response.status == 404
        async with http.get(f"{base_url}/metrics") as response:
            assert 'status="404"' in await response.text()


def test_tokens_never_reach_the_logs() -> None:
    message = "posting with xoxb-123-456-abc and Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, message, None, None)
    line = json.loads(_JsonFormatter().format(record))
    assert "xoxb" not in line["message"] and "eyJ" not in line["message"]
    assert redact("xapp-1-A1-abc") == "[redacted]"
