"""Platform and production figures: Slack and Teams turns beside bare SDK apps, load, memory,
cold start and each store backend, measured side by side in one run.

Run: python -m benchmarks.platforms [--quick] [--json PATH], from the repository's root (it
uses the test suite's fakes). Prints one table per section and writes the same figures as JSON
(default benchmarks/results/latest.json). --quick takes a few samples of everything (seconds,
for the smoke test); the full run takes a few minutes.

How it measures, and why:
- Turns (Slack, Teams, stores) run every server, the fake platform API and the client in this
  one process and event loop, on loopback. Each shape pays the same client and fake overhead on
  the same core, so the ratios between shapes are stable; the absolute times include that
  overhead. Shapes take turns in rounds, so drift on a busy machine hits them alike.
- A full turn runs from sending the request until the fake platform API has received both of
  the turn's calls (Slack: chat.update and chat.postMessage; Teams: the card update and the next
  card, or the echo), timed by the fake when the second call arrives. Every sample of ours is a
  real answering turn: users start fresh checks as the previous ones finish.
- Load, memory and cold start run the real `python -m bot.cli serve` in a subprocess (SQLite in
  a temporary directory, LOG_LEVEL=WARNING), so the client's memory and start-up do not count.
- PostgreSQL and Redis come from BENCH_POSTGRES_URL and BENCH_REDIS_URL (default: the local
  servers); the run uses a database of its own and its own Redis keys, removed afterwards. A
  service that does not answer is reported as unavailable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import dataclasses
import json
import logging
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import redis
from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter as AgentsCloudAdapter
from microsoft_agents.hosting.core import ActivityHandler as AgentsActivityHandler
from microsoft_agents.hosting.core import TurnContext as AgentsTurnContext
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.bootstrap import build_app
from bot.server import BACKGROUND
from bot.settings import Settings
from bot.store.redis import DEFAULT_PREFIX
from tests.e2e.fake_connector import FakeConnector, Message
from tests.e2e.fake_slack import FakeSlack, Posted
from tests.e2e.local_http import serve_locally, settle
from tests.e2e.processes import ServerProcess
from tests.e2e.slack_requests import TEAM, TOKEN, RunIds
from tests.e2e.slack_testbed import FORM, SIGNING_SECRET, find_element, open_question
from tests.e2e.teams_harness import TeamsHarness, personal_chat, question_of
from tests.services import delete_redis_keys, temporary_postgres_database

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
RESULTS = Path(__file__).parent / "results" / "latest.json"
WAIT_SECONDS = 30
# The InnerSource path (ten questions); a question not listed is answered with its first option.
ANSWERS = {"upstream": "no", "confidential": "core", "differentiator": "yes",
           "audience": "company", "internal_only": "yes", "users": "many_teams",
           "contributors": "patches", "control": "final_say", "capacity": "internal",
           "entities": "one"}
log = logging.getLogger("benchmarks.platforms")


@dataclass(frozen=True)
class Sizes:
    """How many samples each section takes."""

    slack_turns: int
    teams_turns: int
    rounds: int
    load_users: int
    memory_checks: int
    cold_starts: int
    store_turns: int


FULL = Sizes(slack_turns=1000, teams_turns=400, rounds=5, load_users=200, memory_checks=10_000,
             cold_starts=3, store_turns=300)
QUICK = Sizes(slack_turns=30, teams_turns=20, rounds=2, load_users=10, memory_checks=200,
              cold_starts=1, store_turns=20)


# --- statistics ------------------------------------------------------------------------------


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


def summary(samples: list[float]) -> dict[str, float]:
    """Median and p99 in milliseconds, rounded for the table and the JSON."""
    return {"median_ms": round(statistics.median(samples), 3), "p99_ms": round(p99(samples), 3)}


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    kilobytes = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
    return round(kilobytes / 1024, 1)


# --- fakes that say when a turn's calls have arrived -------------------------------------------


class Arrivals:
    """Per channel: how many calls of each kind arrived, and futures waiting for a condition.

    A future resolves with perf_counter() at the arrival that satisfies it, so the turn's end is
    timed by the fake itself, not by when the client gets round to looking.
    """

    def __init__(self) -> None:
        self.counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._waiting: defaultdict[str, list[tuple[Callable[[], bool], asyncio.Future[float]]]] \
            = defaultdict(list)

    def when(self, channel: str, done: Callable[[], bool]) -> asyncio.Future[float]:
        """A future that resolves once `done()` holds after a call on `channel`."""
        future = asyncio.get_running_loop().create_future()
        self._waiting[channel].append((done, future))
        return future

    def after(self, channel: str, **more: int) -> asyncio.Future[float]:
        """A future for `more` further calls of each kind on `channel`, counted from now."""
        counts = self.counts[channel]
        wanted = {kind: counts[kind] + number for kind, number in more.items()}
        return self.when(channel, lambda: all(counts[k] >= n for k, n in wanted.items()))

    def arrived(self, channel: str, kind: str) -> None:
        self.counts[channel][kind] += 1
        now = time.perf_counter()
        still = []
        for done, future in self._waiting[channel]:
            if done():
                if not future.done():
                    future.set_result(now)
            else:
                still.append((done, future))
        self._waiting[channel] = still


class SignallingSlack(FakeSlack):
    """FakeSlack that signals arrivals per DM and finds messages by channel without scanning."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals = Arrivals()
        self._by_channel: defaultdict[str, list[Posted]] = defaultdict(list)
        self._by_ts: dict[tuple[str, str], Posted] = {}

    def dm(self, user: str) -> list[Posted]:
        return self._by_channel[f"D{user}"]

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        answer = super()._answer(method, params, token)
        if method in ("chat.update", "chat.postMessage"):
            channel = str(params.get("channel", ""))
            self.arrivals.arrived(f"D{channel}" if channel.startswith("U") else channel, method)
        return answer

    def _post(self, channel: str, params: dict[str, Any], user: str | None) -> dict[str, Any]:
        answer = super()._post(channel, params, user)
        posted = self.messages.pop()  # the fake's list is scanned on every update: keep it empty
        self._by_channel[channel].append(posted)
        self._by_ts[channel, posted.ts] = posted
        return answer

    def _update(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        message = self._by_ts.get((channel, params["ts"]))
        if message is not None:
            message.text, message.blocks = params["text"], params.get("blocks", [])
        return {"channel": channel, "ts": params["ts"]}


class SignallingConnector(FakeConnector):
    """FakeConnector that signals arrivals per conversation and updates without scanning."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals = Arrivals()
        self._by_conversation: defaultdict[str, list[Message]] = defaultdict(list)
        self._by_id: dict[str, Message] = {}

    def in_conversation(self, conversation: str) -> list[Message]:
        return self._by_conversation[conversation]

    async def _send(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        message = Message(id=f"m{next(self._ids)}", conversation=conversation,
                          activity=await request.json())
        self._by_conversation[conversation].append(message)
        self._by_id[message.id] = message
        self.arrivals.arrived(conversation, "send")
        return web.json_response({"id": message.id})

    async def _update(self, request: web.Request) -> web.Response:
        message = self._by_id[request.match_info["id"]]
        message.activity = await request.json()
        message.updates += 1
        self.arrivals.arrived(message.conversation, "update")
        return web.json_response({"id": message.id})


# --- Slack: requests and the shapes compared ---------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One turn: until the ack (HTTP response) and until the fake had the turn's calls."""

    ack_ms: float
    turn_ms: float


@dataclass(frozen=True)
class Click:
    user: str
    message: Posted
    action_id: str


def answer_for(question: str, message: Posted) -> str:
    """The action id of the planned answer, or of the first option when none is planned."""
    wanted = f"answer:{ANSWERS.get(question)}"
    with contextlib.suppress(LookupError):
        find_element(message, wanted)
        return wanted
    block = next(b for b in message.blocks if b.get("block_id") == f"answers:{question}")
    return str(block["elements"][0]["action_id"])


class SlackClient:
    """Slack's side: signed requests to any server URL, timed against the signalling fake."""

    def __init__(self, fake: SignallingSlack, http: aiohttp.ClientSession, directory: Path,
                 run: str) -> None:
        self.fake = fake
        self.http = http
        self.bodies = RunIds(fake, directory, run)
        self.run = run
        self._users = 0

    def new_user(self) -> str:
        self._users += 1
        return f"U{self.run}X{self._users}"

    async def post(self, url: str, body: str) -> int:
        headers = {"Content-Type": FORM, **self.bodies.sign(body)}
        async with self.http.post(f"{url}/slack/events", data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def start_check(self, url: str, user: str) -> None:
        """The slash command, until the first question is in the user's DM."""
        messages = self.fake.dm(user)
        asked = self.fake.arrivals.when(f"D{user}", lambda: open_question(messages) is not None)
        status = await self.post(url, self.bodies.command_body(user, team=TEAM))
        if status != 200:
            raise RuntimeError(f"slash command answered {status}")
        await asyncio.wait_for(asked, WAIT_SECONDS)

    def next_click(self, user: str) -> Click | None:
        """The answer to the user's open question; None once the check has its result."""
        found = open_question(self.fake.dm(user))
        if found is None:
            return None
        question, message = found
        return Click(user, message, answer_for(question, message))

    async def timed_click(self, url: str, click: Click) -> Timing:
        body = self.bodies.click_body(click.user, click.message, click.action_id, TEAM)
        turn = self.fake.arrivals.after(click.message.channel, **{"chat.update": 1,
                                                                  "chat.postMessage": 1})
        started = time.perf_counter()
        status = await self.post(url, body)
        acked = time.perf_counter()
        if status != 200:
            raise RuntimeError(f"click answered {status}")
        finished = await asyncio.wait_for(turn, WAIT_SECONDS)
        return Timing((acked - started) * 1000, (finished - started) * 1000)


class Checks:
    """Clicks for ours: each a real answer to an open question, starting new checks as needed."""

    def __init__(self, client: SlackClient, url: str) -> None:
        self.client, self.url = client, url
        self.user = ""

    async def next_click(self) -> Click:
        click = self.client.next_click(self.user) if self.user else None
        while click is None:
            self.user = self.client.new_user()
            await self.client.start_check(self.url, self.user)
            click = self.client.next_click(self.user)
        return click


@dataclass
class Shape:
    """A server under test: its URL, where its clicks come from, and how to wait for it to idle."""

    name: str
    url: str
    next_click: Callable[[], Awaitable[Click]]
    pending: Callable[[], set[asyncio.Task[None]]]
    timings: list[Timing] = field(default_factory=list)

    async def settle(self) -> None:
        """Let work left after a turn finish, so it never overlaps the next sample."""
        while tasks := self.pending():
            await asyncio.gather(*tasks)
        await asyncio.sleep(0)


def bare_bolt(fake: FakeSlack, *, background: bool) -> tuple[web.Application, set[Any]]:
    """A stock AsyncApp whose answer listener acks, then updates the message and posts another.

    background=False is bolt's default runner (process_before_response=False); background=True
    acks and moves the two calls into a task of its own, which logs its own errors.
    """
    bolt = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=fake.api_url),
                    signing_secret=SIGNING_SECRET, process_before_response=background)
    tasks: set[asyncio.Task[None]] = set()

    async def reply(body: dict[str, Any], client: AsyncWebClient) -> None:
        channel, message = body["container"]["channel_id"], body["message"]
        await client.chat_update(channel=channel, ts=message["ts"], text="Answered", blocks=[])
        await client.chat_postMessage(channel=channel, text=message["text"],
                                      blocks=message["blocks"])

    async def reply_logged(body: dict[str, Any], client: AsyncWebClient) -> None:
        try:
            await reply(body, client)
        except Exception:
            log.exception("bare reply failed")

    @bolt.action(re.compile("^answer:"))
    async def on_answer(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if background:
            task = asyncio.create_task(reply_logged(body, client))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        else:
            await reply(body, client)

    return bolt.web_app(), tasks


def slack_settings(fake: FakeSlack, directory: Path, **store: Any) -> Settings:
    """Slack only, one workspace, the store in `directory` unless `store` names another."""
    values: dict[str, Any] = {"database_url": f"sqlite:///{directory / 'slack.db'}", **store}
    return Settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET,
                    slack_api_url=fake.api_url, **values)


@contextlib.asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    runner, url = await serve_locally(app)
    try:
        yield url
    finally:
        await runner.cleanup()


async def run_rounds(shapes: list[Shape], client: SlackClient, count: int, rounds: int) -> None:
    """Warm every shape up, then let them take turns: `count` timed turns each in `rounds`."""
    for shape in shapes:
        for _ in range(max(5, count // 20)):
            await client.timed_click(shape.url, await shape.next_click())
            await shape.settle()
    per_round = max(1, count // rounds)
    for _ in range(rounds):
        for shape in shapes:
            for _ in range(per_round):
                click = await shape.next_click()
                await shape.settle()
                shape.timings.append(await client.timed_click(shape.url, click))
                await shape.settle()


def slack_row(shape: Shape, fastest: float) -> dict[str, float]:
    acks = [t.ack_ms for t in shape.timings]
    turns = [t.turn_ms for t in shape.timings]
    ack, turn = summary(acks), summary(turns)
    return {"ack_median_ms": ack["median_ms"], "ack_p99_ms": ack["p99_ms"],
            "turn_median_ms": turn["median_ms"], "turn_p99_ms": turn["p99_ms"],
            # one turn at a time, so turns per second is the inverse of the mean full turn
            "turns_per_second": round(1000 / statistics.mean(turns), 1),
            "turn_vs_fastest_bare": round(turn["median_ms"] / fastest, 2),
            "samples": len(turns)}


async def slack_turns(sizes: Sizes, directory: Path, run: str) -> dict[str, Any]:
    """Section 1: ours beside bare bolt on its default runner and in the fast shape."""
    fake = SignallingSlack()
    await fake.start()
    ours_app = await build_app(slack_settings(fake, directory), slack=True, teams=False)
    default_app, default_tasks = bare_bolt(fake, background=False)
    fast_app, fast_tasks = bare_bolt(fake, background=True)
    async with aiohttp.ClientSession() as http, served(ours_app) as ours_url, \
            served(default_app) as default_url, served(fast_app) as fast_url:
        client = SlackClient(fake, http, directory, run)
        checks = Checks(client, ours_url)
        template = await checks.next_click()  # a real question message for the bare apps
        shapes = [
            Shape("ours", ours_url, checks.next_click, lambda: ours_app[BACKGROUND]),
            Shape("bare bolt, default runner", default_url,
                  bare_clicks(client, template), lambda: default_tasks),
            Shape("bare bolt, ack + background", fast_url,
                  bare_clicks(client, template), lambda: fast_tasks),
        ]
        await run_rounds(shapes, client, sizes.slack_turns, sizes.rounds)
    await fake.stop()
    fastest = statistics.median(t.turn_ms for t in shapes[2].timings)
    return {shape.name: slack_row(shape, fastest) for shape in shapes}


def bare_clicks(client: SlackClient, template: Click) -> Callable[[], Awaitable[Click]]:
    """The bare apps answer any click: a copy of a real question, in a DM of their own."""
    user = client.new_user()
    message = dataclasses.replace(copy.deepcopy(template.message), channel=f"D{user}")
    click = Click(user, message, template.action_id)

    async def next_click() -> Click:
        return click

    return next_click


# --- Teams -------------------------------------------------------------------------------------


class EchoBot(ActivityHandler):  # type: ignore[misc]
    """botbuilder's stock sample: echo what was said."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"Echo: {turn_context.activity.text}")


@dataclass(frozen=True)
class AnonymousConfig:
    """botbuilder's configuration object with no app id: anonymous mode, as for the Emulator."""

    APP_ID: str = ""
    APP_PASSWORD: str = ""
    APP_TYPE: str = "MultiTenant"
    APP_TENANTID: str = ""


def echo_app() -> web.Application:
    """The botbuilder echo bot, hosted as botbuilder's samples do (anonymous mode)."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(AnonymousConfig()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        response = await adapter.process(request, bot)
        return response if isinstance(response, web.Response) else web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


class AgentsEchoBot(AgentsActivityHandler):
    """The Microsoft 365 Agents SDK's stock sample: echo what was said."""

    async def on_message_activity(self, turn_context: AgentsTurnContext) -> None:
        await turn_context.send_activity(f"Echo: {turn_context.activity.text}")


def agents_echo_app() -> web.Application:
    """The Agents SDK echo bot, hosted as its samples do (anonymous: no JWT middleware)."""
    adapter = AgentsCloudAdapter(connection_manager=MsalConnectionManager(
        CONNECTIONS={"SERVICE_CONNECTION": {"SETTINGS": {}}}))
    bot = AgentsEchoBot()

    async def messages(request: web.Request) -> web.Response:
        response = await adapter.process(request, bot)
        return response if isinstance(response, web.Response) else web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


class TeamsClient:
    """Teams' side: activities built by TeamsHarness's helpers, posted and timed."""

    def __init__(self, http: aiohttp.ClientSession, directory: Path, run: str) -> None:
        self.http = http
        self.connector = SignallingConnector()
        self.activities = TeamsHarness(directory)  # never started: only its activity builders
        self.activities.connector = self.connector
        self.run = run
        self._users = 0

    def new_user(self) -> str:
        self._users += 1
        return f"T{self.run}X{self._users}"

    async def post(self, url: str, activity: dict[str, Any]) -> int:
        async with self.http.post(f"{url}/api/messages", json=activity) as response:
            await response.read()
            return response.status

    async def timed(self, url: str, user: str, activity: dict[str, Any], **calls: int) -> float:
        turn = self.connector.arrivals.after(personal_chat(user), **calls)
        started = time.perf_counter()
        status = await self.post(url, activity)
        if status >= 300:
            raise RuntimeError(f"/api/messages answered {status}")
        return (await asyncio.wait_for(turn, WAIT_SECONDS) - started) * 1000


class TeamsChecks:
    """Ours: each sample answers the open card of a running check, starting checks as needed."""

    def __init__(self, client: TeamsClient, url: str,
                 settle: Callable[[], Awaitable[None]]) -> None:
        self.client, self.url, self.settle = client, url, settle
        self.user = ""

    async def timed_turn(self) -> float:
        card = self.client.activities.open_card(self.user) if self.user else None
        if card is None:
            card = await self._start()
            await self.settle()  # the bot notes the card it sent after sending it
        data = self.client.activities.button(card, ANSWERS.get(question_of(card)))
        activity = self.client.activities.personal(self.user, value=data, replyToId=card.id)
        return await self.client.timed(self.url, self.user, activity, update=1, send=1)

    async def _start(self) -> Message:
        user = self.user = self.client.new_user()
        activities = self.client.activities
        asked = self.client.connector.arrivals.when(
            personal_chat(user), lambda: activities.open_card(user) is not None)
        if await self.client.post(self.url, activities.personal(user, text="hello")) >= 300:
            raise RuntimeError("hello was refused")
        await asyncio.wait_for(asked, WAIT_SECONDS)
        card = activities.open_card(user)
        assert card is not None  # noqa: S101 (the future above resolved on it)
        return card


async def teams_turns(sizes: Sizes, directory: Path, run: str) -> dict[str, Any]:
    """Section 2: ours on each SDK (ack, then update the card and send the next) beside the
    stock echo bots of both SDKs."""
    apps = {sdk: await build_app(Settings(_env_file=None, teams_sdk=sdk, database_url=(
        f"sqlite:///{directory / f'teams-{sdk}.db'}")), slack=False, teams=True)
        for sdk in ("agents", "botbuilder")}
    async with aiohttp.ClientSession() as http:
        client = TeamsClient(http, directory, run)
        await client.connector.start()
        async with (served(apps["agents"]) as agents_url,
                    served(apps["botbuilder"]) as botbuilder_url,
                    served(agents_echo_app()) as agents_echo_url,
                    served(echo_app()) as echo_url):
            turns: dict[str, Callable[[], Awaitable[float]]] = {}
            for sdk, url in (("agents", agents_url), ("botbuilder", botbuilder_url)):
                turns[f"ours, {sdk}"] = ours_turns(client, url, apps[sdk])
            for sdk, url in (("agents", agents_echo_url), ("botbuilder", echo_url)):
                turns[f"bare echo bot, {sdk}"] = echo_turns(client, url)
            samples = await alternate(turns, sizes.teams_turns, sizes.rounds)
        await client.connector.close()
    figures = {}
    for name, values in samples.items():
        echo = statistics.median(samples[f"bare echo bot, {name.rpartition(', ')[2]}"])
        figures[name] = {**summary(values), "vs_echo": round(statistics.median(values) / echo, 2),
                         "samples": len(values)}
    return figures


def ours_turns(client: TeamsClient, url: str,
               app: web.Application) -> Callable[[], Awaitable[float]]:
    """One timed answer of a running check on our server at `url`."""
    checks = TeamsChecks(client, url, lambda: settle(app))

    async def turn() -> float:
        sample = await checks.timed_turn()
        await settle(app)
        return sample

    return turn


def echo_turns(client: TeamsClient, url: str) -> Callable[[], Awaitable[float]]:
    """One timed "hello" to an echo bot at `url`, answered by one send."""
    user = client.new_user()

    async def turn() -> float:
        said = client.activities.personal(user, text="hello")
        return await client.timed(url, user, said, send=1)

    return turn


async def alternate(turns: dict[str, Callable[[], Awaitable[float]]], count: int,
                    rounds: int) -> dict[str, list[float]]:
    """Warm up, then `count` samples of each, the shapes taking turns in `rounds`."""
    for turn in turns.values():
        for _ in range(max(5, count // 20)):
            await turn()
    samples: dict[str, list[float]] = {name: [] for name in turns}
    for _ in range(rounds):
        for name, turn in turns.items():
            samples[name] += [await turn() for _ in range(max(1, count // rounds))]
    return samples


# --- real server processes: load, memory, cold start -------------------------------------------


def slack_env(fake: FakeSlack, directory: Path) -> dict[str, str]:
    return {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake.api_url, "DATABASE_URL": f"sqlite:///{directory / 'srv.db'}",
            "LOG_LEVEL": "WARNING"}


@contextlib.asynccontextmanager
async def slack_server(directory: Path, run: str, env: dict[str, str] | None = None,
                       workers: int = 1) -> AsyncIterator[tuple[ServerProcess, SlackClient]]:
    """A real `serve` process (SQLite unless `env` names another store; with `workers`, that
    many on its port), the signalling fake, and a client for both."""
    fake = SignallingSlack()
    await fake.start()
    command = [sys.executable, "-m", "bot.cli", "serve", "--workers", str(workers)]
    server = ServerProcess({**slack_env(fake, directory), **(env or {})}, command)
    try:
        await asyncio.to_thread(server.wait_healthy)
        # No connection limit: 200 users hold 200 requests in flight at once.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            yield server, SlackClient(fake, http, directory, run)
    finally:
        if server.process.poll() is None:
            await asyncio.to_thread(server.terminate)
        await fake.stop()


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU of live processes so far, from /proc (Linux)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1]
            utime, stime = fields.split()[11:13]
            total += int(utime) + int(stime)
    return total / TICKS


def server_pids(parent: int) -> list[int]:
    """The server process and its workers (with --workers N, the parent only supervises)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(stat.parent.name))
    return [parent, *children]


async def whole_check(client: SlackClient, url: str) -> list[float]:
    """One user: the slash command, then a click on every question; each click's full turn."""
    user = client.new_user()
    await client.start_check(url, user)
    turns = []
    while (click := client.next_click(user)) is not None:
        turns.append((await client.timed_click(url, click)).turn_ms)
    return turns


async def load_once(sizes: Sizes, directory: Path, run: str, env: dict[str, str] | None = None,
                    workers: int = 1) -> dict[str, Any]:
    """Many users, each completing a whole check at once, against one `serve` (N workers).

    The cap on turns in flight is raised: a turn's records are written after its reply, so a
    user's next click can overlap them, and at the default cap (200) a 200-user burst would
    measure the busy notice rather than the turn."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    env = {"MAX_TURNS_IN_FLIGHT": "1000", **(env or {})}
    async with slack_server(directory, run, env, workers) as (server, client):
        await whole_check(client, server.url)  # warm up
        pids = server_pids(server.process.pid)
        cpu_before = cpu_seconds(pids)
        started = time.perf_counter()
        per_user = await asyncio.gather(*(whole_check(client, server.url)
                                          for _ in range(sizes.load_users)))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before
    turns = [turn for user in per_user for turn in user]
    all_turns = len(turns) + sizes.load_users  # the slash commands count: each starts a check
    return {"users": sizes.load_users, "workers": workers, "answer_turns": len(turns),
            "seconds": round(elapsed, 2),
            "turns_per_second": round(all_turns / elapsed, 1),
            "turn_median_ms": round(statistics.median(turns), 2),
            "turn_p99_ms": round(p99(turns), 2),
            "cpu_ms_per_turn": round(cpu * 1000 / all_turns, 2)}


async def load(sizes: Sizes, directory: Path, run: str) -> dict[str, Any]:
    """Section 3: the load on SQLite and on PostgreSQL + Redis, one worker and two, and the
    speed-up two workers give (the load generator shares the machine's cores)."""
    figures: dict[str, Any] = {}
    for workers in (1, 2):
        name = "sqlite" if workers == 1 else "sqlite, 2 workers"
        figures[name] = await load_once(sizes, directory / f"sqlite-{workers}", run,
                                        workers=workers)
    for workers in (1, 2):
        name = "postgresql+redis" if workers == 1 else "postgresql+redis, 2 workers"
        try:
            redis_answers()
            with temporary_postgres_database(POSTGRES_URL) as url:
                env = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL}
                figures[name] = await load_once(sizes, directory / f"pg-{workers}", run, env,
                                                workers)
        except (OSError, psycopg.Error, redis.RedisError) as error:
            figures[name] = {"unavailable": str(error).strip()}
        finally:
            with contextlib.suppress(redis.RedisError):
                delete_redis_keys(REDIS_URL, f"{DEFAULT_PREFIX}*{run}*")
    for store in ("sqlite", "postgresql+redis"):
        one, two = figures[store], figures[f"{store}, 2 workers"]
        if "turns_per_second" in one and "turns_per_second" in two:
            figures[f"{store}: 2 workers speed-up"] = {
                "speed_up": round(two["turns_per_second"] / one["turns_per_second"], 2)}
    return figures


async def memory(sizes: Sizes, directory: Path, run: str) -> dict[str, Any]:
    """Section 4: RSS of a real server idle, warmed, and with many checks in progress."""
    async with slack_server(directory, run) as (server, client):
        idle = rss_mb(server.process.pid)
        for _ in range(20):  # warm up: the lazily loaded code paths and the pools
            await whole_check(client, server.url)
        warm = rss_mb(server.process.pid)
        gate = asyncio.Semaphore(100)

        async def start_one() -> None:
            async with gate:
                await client.start_check(server.url, client.new_user())

        await asyncio.gather(*(start_one() for _ in range(sizes.memory_checks)))
        await asyncio.sleep(1)  # the last background tasks save their records
        loaded = rss_mb(server.process.pid)
        database = await asyncio.to_thread(file_bytes, directory, "srv.db*")
    return {"checks_in_progress": sizes.memory_checks, "rss_idle_mb": idle,
            "rss_warm_mb": warm, "rss_loaded_mb": loaded,
            "growth_from_idle_mb": round(loaded - idle, 1),
            "growth_from_warm_mb": round(loaded - warm, 1),
            "sqlite_file_mb": round(database / 2**20, 1)}


def file_bytes(directory: Path, pattern: str) -> int:
    return sum(path.stat().st_size for path in directory.glob(pattern))


def start_once(env: dict[str, str], extra: list[str]) -> float:
    server = ServerProcess(env, [sys.executable, "-m", "bot.cli", "serve", *extra])
    try:
        return server.wait_healthy()
    finally:
        server.terminate()


def imported_by_slack_only_serve(env: dict[str, str]) -> dict[str, int]:
    """Modules a Slack-only `serve` imports before /healthz answers, from -X importtime."""
    server = ServerProcess(env, [sys.executable, "-X", "importtime", "-m", "bot.cli", "serve"])
    server.wait_healthy()
    server.terminate()
    lines = [line for line in server.output().splitlines() if line.startswith("import time:")]
    return {name: sum(f" {name}" in line for line in lines)
            for name in ("botbuilder", "botframework", "msrest", "microsoft_agents",
                         "slack_bolt")}


async def cold_start(sizes: Sizes, directory: Path) -> dict[str, Any]:
    """Section 5: seconds from a fresh process to /healthz 200, per configuration."""
    fake = FakeSlack()  # never called at start-up; Slack's settings just need a URL
    await fake.start()
    slack = slack_env(fake, directory)
    teams = {"DATABASE_URL": slack["DATABASE_URL"], "LOG_LEVEL": "WARNING"}
    configurations = {"slack only": (slack, []), "teams only": (teams, ["--teams"]),
                      "slack and teams": (slack, ["--teams"])}
    figures: dict[str, Any] = {}
    for name, (env, extra) in configurations.items():
        seconds = [await asyncio.to_thread(start_once, env, extra)
                   for _ in range(sizes.cold_starts)]
        figures[name] = {"median_s": round(statistics.median(seconds), 3),
                         "max_s": round(max(seconds), 3)}
    figures["slack only imports"] = await asyncio.to_thread(imported_by_slack_only_serve, slack)
    await fake.stop()
    return figures


# --- store backends on the Slack turn ----------------------------------------------------------


def redis_answers() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    finally:
        client.close()


async def ours_turn_on(store: dict[str, str], sizes: Sizes, directory: Path,
                       run: str) -> dict[str, float]:
    """Ours' Slack full turn with the store the settings name."""
    fake = SignallingSlack()
    await fake.start()
    app = await build_app(slack_settings(fake, directory, **store), slack=True, teams=False)
    async with aiohttp.ClientSession() as http, served(app) as url:
        client = SlackClient(fake, http, directory, run)
        checks = Checks(client, url)
        shape = Shape("ours", url, checks.next_click, lambda: app[BACKGROUND])
        await run_rounds([shape], client, sizes.store_turns, 1)
    await fake.stop()
    row = slack_row(shape, 1.0)
    return {k: row[k] for k in ("ack_median_ms", "turn_median_ms", "turn_p99_ms")}


async def stores(sizes: Sizes, directory: Path, run: str) -> dict[str, Any]:
    """Section 6: the Slack turn on SQLite, PostgreSQL, and PostgreSQL with Redis."""
    figures: dict[str, Any] = {"sqlite": await ours_turn_on({}, sizes, directory / "sqlite", run)}
    for name, with_redis in (("postgresql", False), ("postgresql+redis", True)):
        try:
            if with_redis:
                redis_answers()
            with temporary_postgres_database(POSTGRES_URL) as url:
                store = {"database_url": url, **({"redis_url": REDIS_URL} if with_redis else {})}
                figures[name] = await ours_turn_on(store, sizes, directory / name, run)
        except (OSError, psycopg.Error, redis.RedisError) as error:
            figures[name] = {"unavailable": str(error).strip()}
        finally:
            if with_redis:
                with contextlib.suppress(redis.RedisError):
                    # this run's keys only: its users' conversations and its click ids
                    delete_redis_keys(REDIS_URL, f"{DEFAULT_PREFIX}*{run}*")
    return figures


# --- targets and output ------------------------------------------------------------------------


AT_MOST, AT_LEAST, SHOWN = "<=", ">=", "shown"


def targets(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 17's targets beside the figures; a figure with no target is shown, not judged."""
    slack, teams = figures["slack_turn"], figures["teams_turn"]
    ours = slack["ours"]
    start = figures["cold_start"]
    imports = start["slack only imports"]
    rows: list[tuple[str, Any, float | None, str]] = [
        ("Slack: ours ack median (ms)", ours["ack_median_ms"], 1.5, AT_MOST),
        ("Slack: ours full turn, x fastest bare", ours["turn_vs_fastest_bare"], 1.5, AT_MOST),
        ("Teams: ours full turn, x echo bot, Agents SDK", teams["ours, agents"]["vs_echo"],
         0.5, AT_MOST),
        ("Teams: ours full turn, x echo bot, botbuilder", teams["ours, botbuilder"]["vs_echo"],
         0.5, AT_MOST),
    ]
    for store in ("sqlite", "postgresql+redis"):
        load = figures["load"].get(store, {})
        if "turns_per_second" not in load:
            continue
        rows += [(f"Load, {store}: turns/s", load["turns_per_second"], 400, AT_LEAST),
                 (f"Load, {store}: click to reply median (ms)", load["turn_median_ms"], 150,
                  AT_MOST),
                 (f"Load, {store}: click to reply p99 (ms)", load["turn_p99_ms"], 1000, AT_MOST),
                 (f"Load, {store}: CPU per turn (ms)", load["cpu_ms_per_turn"], 2.5, AT_MOST)]
        speed_up = figures["load"].get(f"{store}: 2 workers speed-up")
        if speed_up is not None:
            rows.append((f"Load, {store}: 2 workers speed-up, x", speed_up["speed_up"], None,
                         SHOWN))
    rows += [
        ("Memory: growth with the checks in progress (MB)",
         figures["memory"]["growth_from_idle_mb"], 20, AT_MOST),
        ("Cold start: Slack only (s)", start["slack only"]["median_s"], 1.0, AT_MOST),
        ("Cold start: Teams SDK modules a Slack-only serve imports",
         imports["botbuilder"] + imports["botframework"] + imports["microsoft_agents"], 0,
         AT_MOST),
    ]
    judged = {AT_MOST: lambda v, lim: v <= lim, AT_LEAST: lambda v, lim: v >= lim}
    return [{"target": name, "value": value, "limit": limit, "direction": direction,
             "met": None if limit is None else judged[direction](value, limit)}
            for name, value, limit, direction in rows]


def print_section(title: str, rows: dict[str, Any]) -> None:
    print(f"\n{title}")
    columns = list(dict.fromkeys(k for row in rows.values() if isinstance(row, dict)
                                 for k in row))
    widths = [max(len(c), 6) + 2 for c in columns]
    print(f"{'':<30}" + "".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for name, row in rows.items():
        cells = row if isinstance(row, dict) else {"value": row}
        print(f"{name:<30}" + "".join(f"{cells.get(c, ''):>{w}}"
                                      for c, w in zip(columns, widths, strict=True)))


def print_figures(figures: dict[str, Any]) -> None:
    print_section("Slack: one click, ack and full turn (in process)", figures["slack_turn"])
    print_section("Teams: one answer, full turn (in process)", figures["teams_turn"])
    print_section("Load: concurrent users, whole checks (serve process)", figures["load"])
    print_section("Memory: server RSS (serve process)", {"ours": figures["memory"]})
    print_section("Cold start to /healthz 200 (fresh serve process)", figures["cold_start"])
    print_section("Store backends: ours' Slack turn (in process)", figures["stores"])
    print("\nTargets (issue 17)")
    for row in figures["targets"]:
        limit = "" if row["limit"] is None else f"{row['direction']} {row['limit']}"
        verdict = {None: "", True: "met", False: "NOT MET"}[row["met"]]
        print(f"  {row['target']:<58}{row['value']:>10}  {limit:<9}{verdict}")


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "network": "loopback, local fake platform APIs"}


async def measure(sizes: Sizes) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8].upper()  # in every id, so runs sharing Redis never collide
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        for sub in ("turns", "teams", "load", "memory", "start", "stores/sqlite",
                    "stores/postgresql", "stores/postgresql+redis"):
            (directory / sub).mkdir(parents=True)
        figures: dict[str, Any] = {"machine": machine()}
        figures["slack_turn"] = await slack_turns(sizes, directory / "turns", run)
        figures["teams_turn"] = await teams_turns(sizes, directory / "teams", run)
        figures["load"] = await load(sizes, directory / "load", run)
        figures["memory"] = await memory(sizes, directory / "memory", run)
        figures["cold_start"] = await cold_start(sizes, directory / "start")
        figures["stores"] = await stores(sizes, directory / "stores", run)
    figures["targets"] = targets(figures)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


def main() -> None:
    """Measure, print the tables, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few samples of everything")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the figures")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(measure(QUICK if args.quick else FULL))
    print_figures(figures)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json} ({figures['seconds']} s)")


if __name__ == "__main__":
    main()
