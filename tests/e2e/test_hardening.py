"""Hardening (issue 11), each case as an attacker or an unlucky operator met it, over real HTTP
where it was seen that way: the real server on an ephemeral port, Slack requests signed for real,
Slack's Web API a local fake, stores that stop answering played by local endpoints and a second
redis-server this test starts and stops."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.advisor import Advisor
from bot.bootstrap import bind_host
from bot.connections import GuardedSite
from bot.core.engine import Engine
from bot.errors import ConfigurationError
from bot.observability import configure_logging
from bot.platforms.slack.app import BUSY, NOT_ALLOWED, NOT_SAVED, SLACK_BUSY, check_settings
from bot.platforms.slack.oauth import STATES, RecordStateStore
from bot.server import METRICS_URL, create_app
from bot.settings import Settings
from bot.store.redis import RedisConversationStore
from bot.store.sql import SqlStore
from tests.e2e.fake_slack import FakeSlack
from tests.e2e.processes import ServerProcess, free_port
from tests.e2e.slack_testbed import SIGNING_SECRET, SlackTestbed, open_question, slack_settings

FORK = ["fork", "active", "none", "no", "none", "yes", "one"]  # seven answers to a result


@pytest.fixture
async def slack(fake, tmp_path) -> AsyncIterator[SlackTestbed]:
    bed = SlackTestbed(fake, slack_settings(fake, tmp_path))
    await bed.start()
    yield bed
    await bed.stop()


def ephemerals(fake: FakeSlack, user: str = "U1") -> list[str]:
    return [m.text for m in fake.messages if m.user == user]


async def answer(bed: SlackTestbed, options: list[str], user: str = "U1") -> None:
    for option in options:
        found = open_question(bed.fake.dm(user))
        assert found is not None
        assert await bed.click(user, found[1], f"answer:{option}") == 200


async def finish(bed: SlackTestbed, user: str = "U1") -> None:
    await bed.command(user)
    await answer(bed, FORK, user)


def result_message(fake: FakeSlack, user: str = "U1"):
    return next(m for m in reversed(fake.dm(user)) if m.text.startswith("Recommendation:"))


@contextlib.contextmanager
def silent_endpoint() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a network partition)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(50)
        yield int(listener.getsockname()[1])


# --- 1. an empty setting is an unset one -----------------------------------------------------


def test_empty_environment_values_count_as_unset(monkeypatch) -> None:
    for name in ("MICROSOFT_APP_ID", "SLACK_SIGNING_SECRET", "REDIS_URL", "PORT"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None)
    assert settings.microsoft_app_id is None and not settings.teams_enabled
    assert settings.slack_signing_secret is None and settings.redis_url is None
    assert settings.port == 3000


def test_anonymous_teams_binds_loopback_unless_a_host_is_given_and_names_the_risk(
        caplog) -> None:
    assert bind_host(Settings(_env_file=None), teams=True) == "127.0.0.1"
    assert "WITHOUT authentication" in caplog.text
    assert bind_host(Settings(_env_file=None, host="0.0.0.0"), teams=True) == "0.0.0.0"  # noqa: S104
    assert bind_host(Settings(_env_file=None), teams=False) == "0.0.0.0"  # noqa: S104


def test_a_slack_deployment_with_an_empty_app_id_serves_no_teams_and_says_where_it_listens(
        tmp_path) -> None:
    server = ServerProcess({
        "MICROSOFT_APP_ID": "", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": "xoxb-T1-token", "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'one.db'}"})
    try:
        server.wait_healthy()

        async def post() -> int:
            async with aiohttp.ClientSession() as http, http.post(
                    f"{server.url}/api/messages", json={"type": "message"}) as response:
                return response.status

        assert asyncio.run(post()) == 404
    finally:
        server.terminate()
    output = server.output()
    started = [line for line in output.splitlines() if "listening on" in line]
    assert len(started) == 1, output
    assert "platforms: slack;" in started[0] and "store: sqlite" in started[0]
    assert SIGNING_SECRET not in output and "xoxb-" not in output


# --- 4. a finished check and its history entry go together ----------------------------------


async def test_a_failed_history_write_leaves_the_check_unfinished_not_half_saved(
        tmp_path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'atomic.db'}")
    await store.setup()
    async with store.engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TRIGGER no_history BEFORE INSERT ON history "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    advisor = Advisor(Engine.default(), store)
    key = __import__("bot.store.base", fromlist=["ConversationKey"]).ConversationKey(
        "slack", "T1", "dm", "U1")
    from bot.core.conversation import Inbound  # noqa: PLC0415
    turn = await advisor.start(key)
    for option in FORK[:-1]:
        turn = await advisor.handle(key, Inbound.click("answer", turn.conversation.ref, option))
    before = await advisor.current(key)
    with pytest.raises(Exception, match="disk full"):
        await advisor.handle(key, Inbound.click("answer", before.ref, FORK[-1]))
    assert await advisor.current(key) == before  # not finished: a retry finishes it, once
    await store.close()


# --- 5. failures after the ack are told, counted, and stale connections retried -------------


class RedisServer:
    """A redis-server of this test's own, on a free port, that the test can stop and restart."""

    def __init__(self, directory: Path) -> None:
        self.port, self.directory = free_port(), directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL)
        for _ in range(500):
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_a_store_outage_is_told_to_the_user_and_a_redis_restart_loses_no_click(
        fake, tmp_path, own_redis) -> None:
    settings = slack_settings(fake, tmp_path, redis_url=own_redis.url, store_timeout_seconds=1)

    async def make_store() -> RedisConversationStore:
        store = RedisConversationStore(
            own_redis.url, SqlStore(settings.database_url), timeout=1)
        await store.setup()
        return store

    bed = SlackTestbed(fake, settings, make_store)
    await bed.start()
    try:
        await bed.command("U1")
        own_redis.stop()  # the store stops answering
        found = open_question(fake.dm("U1"))
        assert found is not None
        assert await bed.click("U1", found[1], "answer:fork") == 200
        assert ephemerals(fake)[-1] == NOT_SAVED
        own_redis.start()  # back, with every pooled connection now stale
        for user in ("U2", "U3", "U4", "U5"):
            await bed.command(user)
            assert open_question(fake.dm(user)) is not None, user
        await answer(bed, FORK)
        assert result_message(fake)
    finally:
        await bed.stop()


class FreezableProxy:
    """A TCP proxy to a real server that the test can freeze: frozen, it keeps every connection
    open and forwards nothing, as a network partition does."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.thawed = asyncio.Event()
        self.thawed.set()
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for writer in self.writers:
            writer.close()
        for writer in self.writers:
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers += [writer, upstream]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    await self.thawed.wait()
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream), pipe(upstream_reader, writer))


@pytest.mark.services
async def test_a_postgresql_that_stops_answering_is_told_to_the_user_and_counted(
        fake, tmp_path) -> None:
    from prometheus_client import REGISTRY  # noqa: PLC0415

    from tests.services import temporary_postgres_database  # noqa: PLC0415

    with temporary_postgres_database() as database_url:
        url = __import__("sqlalchemy").engine.make_url(database_url)
        proxy = FreezableProxy(url.port or 5432)
        await proxy.start()
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)
        settings = slack_settings(fake, tmp_path, database_url=proxied,
                                  store_timeout_seconds=1)
        bed = SlackTestbed(fake, settings)
        await bed.start()
        try:
            await bed.command("U1")
            found = open_question(fake.dm("U1"))
            assert found is not None
            before = REGISTRY.get_sample_value("osc_errors_total", {"kind": "store"}) or 0
            proxy.thawed.clear()
            async with asyncio.timeout(60):
                assert await bed.click("U1", found[1], "answer:fork") == 200
            assert ephemerals(fake)[-1] == NOT_SAVED
            assert REGISTRY.get_sample_value("osc_errors_total", {"kind": "store"}) == before + 1
            proxy.thawed.set()
            await bed.click("U1", found[1], "answer:fork")  # the retry the notice asked for
            assert open_question(fake.dm("U1"))[0] == "upstream_health"
        finally:
            proxy.thawed.set()
            await bed.stop()
            await proxy.stop()


# --- 6. OAuth states expire and are purged ---------------------------------------------------


async def test_oauth_states_expire_after_ten_minutes_and_are_purged(tmp_path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'states.db'}")
    await store.setup()
    now = [1_000_000.0]
    states = RecordStateStore(store, clock=lambda: now[0])
    old = [await states.async_issue() for _ in range(30)]
    now[0] += 601
    fresh = await states.async_issue()
    assert set(await store.get_records(STATES, "pending")) == {fresh}
    assert not await states.async_consume(old[0])
    assert await states.async_consume(fresh)
    await store.close()


# --- 8. connections: bounded, idle and slow ones closed --------------------------------------


@pytest.fixture
async def guarded() -> AsyncIterator[tuple[str, int]]:
    app = web.Application()
    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/", hello)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = GuardedSite(runner, "127.0.0.1", 0, limit=3, timeout=0.3)
    await site.start()
    yield "127.0.0.1", site.port
    await runner.cleanup()


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    async with asyncio.timeout(20):
        return await reader.read() == b""


async def test_a_silent_connection_and_a_trickling_one_are_closed(guarded) -> None:
    host, port = guarded
    silent_reader, silent = await asyncio.open_connection(host, port)
    slow_reader, slow = await asyncio.open_connection(host, port)
    slow.write(b"GET / HTTP/1.1\r\n")

    async def trickle() -> None:
        with contextlib.suppress(OSError):
            while not slow.is_closing():
                slow.write(b"X-A: b\r\n")
                await asyncio.sleep(0.05)

    dripping = asyncio.create_task(trickle())
    assert await closed_by_server(silent_reader)
    assert await closed_by_server(slow_reader)
    dripping.cancel()
    for writer in (silent, slow):
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def test_connections_beyond_the_limit_are_refused_and_the_server_recovers(guarded) -> None:
    host, port = guarded
    held = [await asyncio.open_connection(host, port) for _ in range(3)]
    extra_reader, extra = await asyncio.open_connection(host, port)
    assert await closed_by_server(extra_reader)  # the limit: refused at once
    for reader, _ in held:
        assert await closed_by_server(reader)  # then the silent ones time out
    async with aiohttp.ClientSession() as http, http.get(f"http://{host}:{port}/") as response:
        assert response.status == 200
    for _, writer in [*held, (extra_reader, extra)]:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def test_silent_connections_past_the_file_limit_neither_lock_out_nor_flood_the_log(
        tmp_path) -> None:
    server = ServerProcess({
        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": "xoxb-T1-token",
        "SLACK_API_URL": "http://127.0.0.1:9/api/", "READ_TIMEOUT_SECONDS": "1",
        "MAX_CONNECTIONS": "30", "DATABASE_URL": f"sqlite:///{tmp_path / 'fd.db'}"},
        command=["prlimit", "--nofile=64", sys.executable, "-m", "bot.cli", "serve"])
    held: list[socket.socket] = []
    try:
        server.wait_healthy()
        # More than the server has descriptors for, held open.
        held.extend(socket.create_connection(("127.0.0.1", server.port), timeout=5)
                    for _ in range(150))
        server.wait_healthy()  # answered while every one of them is still held here
    finally:
        for connection in held:
            connection.close()
        server.terminate()
    output = server.output()
    assert "Traceback" not in output
    assert len(output.splitlines()) < 40, output


# --- 9. Post summary and Remind me once per click --------------------------------------------


async def test_post_summary_posts_once_per_click_and_says_so_on_a_second_click(
        slack, fake) -> None:
    await finish(slack)
    final = result_message(fake)
    body = slack.click_body("U1", final, "post_summary", selected="C2")
    status, _ = await slack.send(body, "application/x-www-form-urlencoded")
    assert status == 200
    await slack.send(body, "application/x-www-form-urlencoded")  # Slack's retry: nothing
    await slack.click("U1", final, "post_summary", selected="C2")  # a second click
    assert len([m for m in fake.messages if m.channel == "C2"]) == 1
    assert "Already posted" in ephemerals(fake)[-1]


async def test_remind_me_schedules_once_per_click(slack, fake) -> None:
    await finish(slack)
    final = result_message(fake)
    body = slack.click_body("U1", final, "remind")
    await slack.send(body, "application/x-www-form-urlencoded")
    await slack.send(body, "application/x-www-form-urlencoded")
    await slack.click("U1", final, "remind")
    assert len(fake.called("chat.scheduleMessage")) == 1
    assert "Already done" in ephemerals(fake)[-1]


# --- 10. junk is a 400 or 401 with one warning line ------------------------------------------


async def post_raw(url: str, body: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, data=body,
                                                          headers=headers) as response:
        return response.status


async def test_deeply_nested_json_and_a_huge_timestamp_are_refused_not_500(
        slack, caplog) -> None:
    nested = "[" * 200_000
    assert (await slack.send(nested, "application/json"))[0] == 400
    unsigned = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": "1",
                "X-Slack-Signature": "v0=0"}
    assert await post_raw(f"{slack.url}/slack/events", nested, unsigned) == 401
    huge = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": "9" * 5000,
            "X-Slack-Signature": "v0=0"}
    assert await post_raw(f"{slack.url}/slack/events", "{}", huge) == 401
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) <= 1


# --- 11. /healthz answers whatever the store does --------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql", "redis"])
async def test_healthz_says_503_when_the_store_accepts_and_never_answers(
        backend, tmp_path) -> None:
    with silent_endpoint() as port:
        if backend == "postgresql":
            store = SqlStore(f"postgresql://u@127.0.0.1:{port}/x", timeout=1)
        else:
            store = RedisConversationStore(f"redis://127.0.0.1:{port}/0",
                                           SqlStore(f"sqlite:///{tmp_path / 'h.db'}"), timeout=1)
        app = create_app(Advisor(Engine.default(), store))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/healthz"
            async with asyncio.timeout(20), aiohttp.ClientSession() as http, \
                    http.get(url) as response:
                assert response.status == 503
        finally:
            await runner.cleanup()


# --- 12. Retry-After is capped ---------------------------------------------------------------


async def test_a_long_retry_after_is_not_slept_through_and_the_user_is_told(slack, fake) -> None:
    fake.fail("chat.postMessage", status=429, retry_after=600)
    async with asyncio.timeout(20):
        await slack.command("U1")
    assert fake.dm("U1")[-1].text == SLACK_BUSY


# --- 13. turns in flight are capped ----------------------------------------------------------


async def test_beyond_the_turns_in_flight_the_user_is_told_to_try_again(fake, tmp_path) -> None:
    bed = SlackTestbed(fake, slack_settings(fake, tmp_path), turn_limit=1)
    await bed.start()
    try:
        fake.delays["chat.postMessage"] = 0.5  # U1's turn is still in flight ...
        await bed.send(bed.command_body("U1"), "application/x-www-form-urlencoded",
                       settle=False)
        await bed.command("U2")  # ... when U2 asks
        assert BUSY in [m.text for m in fake.dm("U2")]
        assert open_question(fake.dm("U1")) is not None
    finally:
        await bed.stop()


# --- 14. ALLOWED_WORKSPACES ------------------------------------------------------------------


async def test_a_workspace_not_allowed_is_refused_politely(fake, tmp_path) -> None:
    bed = SlackTestbed(fake, slack_settings(fake, tmp_path, allowed_workspaces="T7, T8"))
    await bed.start()
    try:
        status, text = await bed.command("U1")
        assert status == 200 and NOT_ALLOWED in text
        assert fake.dm("U1") == []
    finally:
        await bed.stop()


# --- 15. refused at start --------------------------------------------------------------------


@pytest.mark.parametrize(("values", "expected"), [
    ({"slack_client_id": "1.2", "slack_client_secret": "s", "slack_signing_secret": "x"},
     "opensource-check generate-key"),
    ({"slack_bot_token": "xoxb-1", "slack_signing_secret": ""}, "SLACK_SIGNING_SECRET"),
])
def test_unsafe_slack_settings_are_refused_at_start(values, expected) -> None:
    with pytest.raises(ConfigurationError, match=expected):
        check_settings(Settings(_env_file=None, **values))


# --- 16. /metrics on its own port ------------------------------------------------------------


async def test_metrics_can_be_served_on_a_port_of_their_own(tmp_path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'm.db'}")
    await store.setup()
    app = create_app(Advisor(Engine.default(), store), metrics_port=0)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with aiohttp.ClientSession() as http:
            main = f"http://127.0.0.1:{runner.addresses[0][1]}"
            async with http.get(f"{main}/metrics") as response:
                assert response.status == 404
            async with http.get(f"{app[METRICS_URL]}/metrics") as response:
                assert response.status == 200 and "osc_errors_total" in await response.text()
    finally:
        await runner.cleanup()


# --- 17. logs --------------------------------------------------------------------------------


def test_third_party_info_lines_are_silenced() -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("INFO", "console")
        assert not logging.getLogger("transitions.core").isEnabledFor(logging.INFO)
        assert logging.getLogger("bot.server").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:], root.level = handlers, level
        for name in ("transitions", "slack_bolt"):
            logging.getLogger(name).setLevel(logging.NOTSET)


async def test_a_failed_turn_is_one_log_line(fake, tmp_path, own_redis, caplog) -> None:
    settings = slack_settings(fake, tmp_path)

    async def make_store() -> RedisConversationStore:
        store = RedisConversationStore(own_redis.url, SqlStore(settings.database_url),
                                       timeout=1)
        await store.setup()
        return store

    bed = SlackTestbed(fake, settings, make_store)
    await bed.start()
    try:
        own_redis.stop()
        caplog.clear()
        await bed.command("U1")
        failed = [r for r in caplog.records if "failed" in r.getMessage()
                  and r.name == "bot.server"]
        assert len(failed) == 1 and failed[0].exc_info is None
    finally:
        own_redis.start()
        await bed.stop()


_ = (json, datetime, UTC)


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_an_install_into_a_workspace_not_allowed_stores_nothing(fake, tmp_path) -> None:
    from bot.crypto import generate_key  # noqa: PLC0415

    settings = slack_settings(fake, tmp_path, slack_bot_token=None, slack_client_id="111.222",
                              slack_client_secret="client-secret", encryption_key=generate_key(),
                              allowed_workspaces="T1")
    bed = SlackTestbed(fake, settings)
    await bed.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{bed.url}/slack/install") as page:
                state = re.search(r"state=([\w-]+)", await page.text())
            assert state is not None
            async with http.get(f"{bed.url}/slack/oauth_redirect",
                                params={"code": "c0de", "state": state.group(1)},
                                headers={"Cookie": f"slack-app-oauth-state={state.group(1)}"},
                                ) as done:
                assert done.status >= 400  # Slack's T2 is not in ALLOWED_WORKSPACES
        assert bed.advisor is not None
        assert await bed.advisor.store.get_records("slack.bot", "installations") == {}
    finally:
        await bed.stop()
