"""The shared server over real HTTP: health, metrics, logs without secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.advisor import Advisor
from bot.core.conversation import Inbound
from bot.observability import _JsonFormatter, redact
from bot.platforms.slack.dialogue import PLACES
from bot.server import create_app
from bot.settings import Settings
from bot.store.base import ConversationKey
from bot.store.factory import create_store
from tests.e2e.local_http import serve_locally
from tests.e2e.processes import ServerProcess
from tests.e2e.slack_requests import TEAM, TOKEN, SlackRequests, WatchedSlack
from tests.e2e.slack_testbed import SIGNING_SECRET
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
    for text in ["fork", "active", "none", "no", "none", "yes", "one"]:  # flow v2: the fork path
        await advisor.handle(key, Inbound.typed(text))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base_url}/healthz"):  # a request to measure, whatever ran before
            pass
        async with http.get(f"{base_url}/metrics") as response:
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


async def test_sigterm_finishes_the_turn_in_flight_before_exiting(tmp_path) -> None:
    """The ack is long gone when SIGTERM comes; the turn's Web API call and its bookkeeping
    after it (the question's ts, needed to update that message later) must still complete."""
    fake = WatchedSlack()
    await fake.start()
    database = f"sqlite:///{tmp_path / 'shutdown.db'}"
    server = ServerProcess({"DATABASE_URL": database, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                            "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.api_url})
    try:
        await asyncio.to_thread(server.wait_healthy)
        fake.delays["chat.postMessage"] = 1.0  # Slack answers the question's post slowly
        async with aiohttp.ClientSession() as http:
            slack = SlackRequests(fake, tmp_path, "run1", http)
            assert await slack.command(server.url, "U1") == 200
        await fake.until(lambda: bool(fake.called("chat.postMessage")))
        assert await asyncio.to_thread(server.terminate) == 0
    finally:
        if server.process.poll() is None:
            await asyncio.to_thread(server.kill)
        await fake.stop()
    store = create_store(Settings(_env_file=None, database_url=database))
    try:
        place = await store.get_records(PLACES, f"{TEAM}:U1")
    finally:
        await store.close()
    assert "question_ts" in place, server.output()


class SilentSlack(WatchedSlack):
    """Sets `asked` when a message is posted; with `delays`, answers it much later."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = asyncio.Event()

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            self.asked.set()
        return await super()._api(request)


async def test_sigterm_deadline_is_a_hard_limit_on_a_turn_stuck_on_a_silent_endpoint(
        tmp_path) -> None:
    """A turn waiting on an endpoint that does not answer is cancelled at the deadline
    (SHUTDOWN_GRACE_SECONDS), however long the endpoint would keep it."""
    fake = SilentSlack()
    await fake.start()
    server = ServerProcess({"DATABASE_URL": f"sqlite:///{tmp_path / 'stuck.db'}",
                            "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": TOKEN,
                            "SLACK_API_URL": fake.api_url, "SHUTDOWN_GRACE_SECONDS": "2"})
    try:
        await asyncio.to_thread(server.wait_healthy)
        fake.delays["chat.postMessage"] = 8.0  # far beyond the deadline
        async with aiohttp.ClientSession() as http:
            slack = SlackRequests(fake, tmp_path, "stuck", http)
            assert await slack.command(server.url, "U1") == 200
        await asyncio.wait_for(fake.asked.wait(), 10)
        started = time.monotonic()
        assert await asyncio.to_thread(server.terminate) == 0
        took = time.monotonic() - started
    finally:
        if server.process.poll() is None:
            await asyncio.to_thread(server.kill)
        await fake.stop()
    assert took < 5, server.output()
    assert "turns still running at the deadline were cancelled" in server.output()
    assert "Traceback" not in server.output()


async def test_a_slack_only_server_logs_no_token_warning(tmp_path, monkeypatch, caplog) -> None:
    """Bolt reads SLACK_BOT_TOKEN itself and warned that the client (built with that token)
    wins: nothing an operator should see at start-up."""
    from bot.bootstrap import build_app  # noqa: PLC0415

    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 's.db'}",
                        slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET)
    with caplog.at_level(logging.INFO):
        runner = web.AppRunner(await build_app(settings))
        await runner.setup()
    await runner.cleanup()  # closes the store and the Slack session
    assert "will be unused" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_the_readme_documents_the_healthz_body() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert '`{"status": "ok", "store": true}`' in readme
    assert '`{"status": "unavailable", "store": false}`' in readme
