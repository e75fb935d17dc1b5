"""Scale-out: two real `opensource-check serve` processes share PostgreSQL (and, in a variant,
Redis for conversation state) behind no load balancer but the test, which sends each Slack request
to whichever replica it likes. Slack's Web API is a fake in the test process; every request is
signed for real. A turn is complete when its reply (the next question, or the result) has been
posted to the fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot.advisor import utc_now
from bot.settings import Settings
from bot.store.base import ConversationKey, Store
from bot.store.factory import create_store
from bot.store.redis import DEFAULT_PREFIX
from tests.e2e.processes import ServerProcess
from tests.e2e.slack_requests import TEAM, TOKEN, SlackRequests, WatchedSlack
from tests.e2e.slack_testbed import SIGNING_SECRET, open_question
from tests.services import delete_redis_keys, redis_url, temporary_postgres_database

# The InnerSource path: twelve questions, by question id, so a resumed check answers the same.
ANSWERS = {"upstream": "no", "confidential": "core", "differentiator": "yes",
           "audience": "company", "internal_only": "yes", "users": "many_teams",
           "contributors": "patches", "control": "final_say", "capacity": "internal",
           "obligations": ["none"], "ownership": "yes", "entities": "one"}


def answer_action(question: str) -> str:
    """The action a click answering `question` carries (ticked boxes joined by +)."""
    value = ANSWERS[question]
    return f"answer:{'+'.join(value) if isinstance(value, list) else value}"
CONCURRENT_CONVERSATIONS = 200


@dataclass
class Cluster:
    """Two replicas, the fake Web API they call, and the store they share (read by the test)."""

    replicas: list[ServerProcess]
    fake: WatchedSlack
    slack: SlackRequests
    store: Store
    run: str

    @property
    def urls(self) -> list[str]:
        return [replica.url for replica in self.replicas]

    def user(self, number: int) -> str:
        return f"U{self.run}X{number}"


@pytest.fixture(params=["postgresql", "postgresql+redis"])
def backends(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """DATABASE_URL (a fresh database) and, for the Redis variant, REDIS_URL."""
    with temporary_postgres_database() as database_url:
        env = {"DATABASE_URL": database_url}
        if request.param.endswith("redis"):
            env["REDIS_URL"] = redis_url()
        yield env


@pytest.fixture
async def cluster(backends: dict[str, str], tmp_path: Path) -> AsyncIterator[Cluster]:
    fake = WatchedSlack()
    await fake.start()
    env = {**backends, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": TOKEN,
           "SLACK_API_URL": fake.api_url, "LOG_LEVEL": "WARNING",
           # 200 users at once on two replicas is the point here, not the busy cap (tested in
           # test_hardening): room so a burst is never refused.
           "MAX_TURNS_IN_FLIGHT": "2000"}
    replicas = [ServerProcess(env), ServerProcess(env)]  # both migrate the schema at once
    run = uuid.uuid4().hex[:8].upper()
    settings = Settings(_env_file=None, database_url=backends["DATABASE_URL"],
                        redis_url=backends.get("REDIS_URL"))
    store = create_store(settings)
    await store.setup()
    try:
        await asyncio.gather(*[asyncio.to_thread(r.wait_healthy) for r in replicas])
        async with aiohttp.ClientSession() as http:
            yield Cluster(replicas, fake, SlackRequests(fake, tmp_path, run, http), store, run)
    finally:
        for replica in replicas:
            if replica.process.poll() is None:
                await asyncio.to_thread(replica.terminate)
        await store.close()
        await fake.stop()
        if settings.redis_url is not None:  # Redis outlives the run: drop this run's keys only
            delete_redis_keys(settings.redis_url, f"{DEFAULT_PREFIX}conv:slack:{TEAM}:dm:U{run}")
            delete_redis_keys(settings.redis_url, f"{DEFAULT_PREFIX}event:slack:trigger{run}")


# --- one user's side of a check ------------------------------------------------------------


def is_result(cluster: Cluster, user: str) -> bool:
    messages = cluster.fake.dm(user)
    return bool(messages) and messages[-1].text.startswith("Recommendation:")


async def start(cluster: Cluster, url: str, user: str) -> None:
    """The slash command: a new check, or the unfinished one asked again below."""
    before = len(cluster.fake.dm(user))
    assert await cluster.slack.command(url, user) == 200
    await cluster.fake.until(lambda: len(cluster.fake.dm(user)) >= before + 2 and
                             open_question(cluster.fake.dm(user)) is not None)


async def answer(cluster: Cluster, url: str, user: str) -> str:
    """Click the open question's answer and wait for the reply to be posted; the question id."""
    found = open_question(cluster.fake.dm(user))
    assert found is not None, [m.text for m in cluster.fake.dm(user)]
    question, message = found
    before = len(cluster.fake.dm(user))
    assert await cluster.slack.click(url, user, message, answer_action(question)) == 200
    await cluster.fake.until(lambda: len(cluster.fake.dm(user)) > before)
    return question


async def finish(cluster: Cluster, urls: Iterator[str], user: str) -> None:
    """Answer every remaining question, each on the next replica from `urls`."""
    while not is_result(cluster, user):
        await answer(cluster, next(urls), user)


async def stored_answers(cluster: Cluster, user: str) -> dict[str, str]:
    """The answers of the user's check as the shared store holds them."""
    key = ConversationKey("slack", TEAM, "dm", user)
    conversation = await cluster.store.load(key, utc_now())
    return dict(conversation.answers) if conversation is not None else {}


async def history_of(cluster: Cluster, user: str) -> list[dict[str, str]]:
    page = await cluster.store.history(user_id=user, platform="slack", limit=10)
    return [entry.answers for entry in page.entries]


def asked(cluster: Cluster, user: str) -> list[str]:
    """The question ids posted to the user, in order, as the fake Web API received them."""
    return [block["block_id"].removeprefix("answers:")
            for call in cluster.fake.called("chat.postMessage")
            if call.params.get("channel") in (user, f"D{user}")
            for block in call.params.get("blocks", [])
            if block.get("block_id", "").startswith("answers:")]


# --- the proofs -----------------------------------------------------------------------------


async def test_one_check_whose_turns_alternate_between_replicas_keeps_every_answer(
        cluster) -> None:
    user = cluster.user(1)
    alternating = itertools.cycle(cluster.urls)
    await start(cluster, next(alternating), user)
    await finish(cluster, alternating, user)
    assert await history_of(cluster, user) == [ANSWERS]
    result = cluster.fake.dm(user)[-1]
    assert "InnerSource" in result.text
    assert asked(cluster, user) == list(ANSWERS)
    assert len(cluster.fake.called("chat.update")) == len(ANSWERS)


async def test_two_hundred_concurrent_checks_across_both_replicas_all_complete_exactly_once(
        cluster) -> None:
    users = [cluster.user(n) for n in range(CONCURRENT_CONVERSATIONS)]

    async def converse(number: int, user: str) -> None:
        spread = itertools.islice(itertools.cycle(cluster.urls), number % 2, None)
        await start(cluster, next(spread), user)
        await finish(cluster, spread, user)

    await asyncio.gather(*[converse(n, u) for n, u in enumerate(users)])
    for user in users:
        results = [m for m in cluster.fake.dm(user) if m.text.startswith("Recommendation:")]
        assert len(results) == 1, user
        assert asked(cluster, user) == list(ANSWERS), user
        assert await history_of(cluster, user) == [ANSWERS]
    turns = CONCURRENT_CONVERSATIONS * len(ANSWERS)
    assert len(cluster.fake.called("chat.update")) == turns


async def test_killing_a_replica_mid_run_loses_no_completed_turn(cluster) -> None:
    replica_a, replica_b = cluster.replicas
    users = [cluster.user(n) for n in range(40)]
    completed: dict[str, dict[str, str]] = {}

    async def first_three(number: int, user: str) -> None:
        spread = itertools.islice(itertools.cycle(cluster.urls), number % 2, None)
        await start(cluster, next(spread), user)
        done = [await answer(cluster, next(spread), user) for _ in range(3)]
        completed[user] = {question: ANSWERS[question] for question in done}

    await asyncio.gather(*[first_three(n, u) for n, u in enumerate(users)])

    async def click_on_a(user: str) -> None:
        found = open_question(cluster.fake.dm(user))
        assert found is not None
        # A may die under this request; Slack would then show the user an error.
        with contextlib.suppress(aiohttp.ClientError):
            await cluster.slack.click(replica_a.url, user, found[1],
                                      answer_action(found[0]))

    in_flight = asyncio.gather(*[click_on_a(u) for u in users])
    await asyncio.sleep(0.03)
    await asyncio.to_thread(replica_a.kill)
    await in_flight

    for user in users:  # every turn completed before the kill is in the shared store
        kept = await stored_answers(cluster, user)
        assert completed[user].items() <= kept.items(), user
    await asyncio.gather(*[resume_on(cluster, replica_b.url, u) for u in users])
    for user in users:
        assert await history_of(cluster, user) == [ANSWERS]


async def resume_on(cluster: Cluster, url: str, user: str) -> None:
    await start(cluster, url, user)
    await finish(cluster, itertools.repeat(url), user)


async def test_sigkill_at_many_points_of_the_final_turn_loses_no_completed_check(
        backends: dict[str, str], tmp_path: Path) -> None:
    """The last answer sent to a replica killed -9 after 0 to 30 ms: every check the store holds
    as finished has its history entry, and every other one finishes on the retry, once."""
    fake = WatchedSlack()
    await fake.start()
    env = {**backends, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": TOKEN,
           "SLACK_API_URL": fake.api_url, "LOG_LEVEL": "WARNING",
           # 200 users at once on two replicas is the point here, not the busy cap (tested in
           # test_hardening): room so a burst is never refused.
           "MAX_TURNS_IN_FLIGHT": "2000"}
    survivor = ServerProcess(env)
    run = uuid.uuid4().hex[:8].upper()
    settings = Settings(_env_file=None, database_url=backends["DATABASE_URL"],
                        redis_url=backends.get("REDIS_URL"))
    store = create_store(settings)
    await store.setup()
    try:
        await asyncio.to_thread(survivor.wait_healthy)
        async with aiohttp.ClientSession() as http:
            cluster = Cluster([survivor], fake, SlackRequests(fake, tmp_path, run, http), store,
                              run)
            for round_number, delay in enumerate((0, 0.003, 0.01, 0.03)):
                users = [cluster.user(round_number * 100 + n) for n in range(8)]
                await asyncio.gather(*[to_the_last_question(cluster, u) for u in users])
                victim = ServerProcess(env)
                await asyncio.to_thread(victim.wait_healthy)
                clicks = asyncio.gather(*[last_click(cluster, victim.url, u) for u in users])
                await asyncio.sleep(delay)
                await asyncio.to_thread(victim.kill)
                await clicks
                for user in users:
                    key = ConversationKey("slack", TEAM, "dm", user)
                    stored = await store.load(key, utc_now())
                    finished = stored is not None and not stored.active
                    assert finished == bool(await history_of(cluster, user)), (delay, user)
                    if not finished:  # the user clicks again, on the replica that lives
                        await last_click(cluster, survivor.url, user)
                        await cluster.fake.until(lambda user=user: is_result(cluster, user))
                    assert await history_of(cluster, user) == [ANSWERS], (delay, user)
    finally:
        if survivor.process.poll() is None:
            await asyncio.to_thread(survivor.terminate)
        await store.close()
        await fake.stop()
        if settings.redis_url is not None:
            delete_redis_keys(settings.redis_url, f"{DEFAULT_PREFIX}conv:slack:{TEAM}:dm:U{run}")
            delete_redis_keys(settings.redis_url, f"{DEFAULT_PREFIX}event:slack:trigger{run}")


async def to_the_last_question(cluster: Cluster, user: str) -> None:
    url = cluster.urls[0]
    await start(cluster, url, user)
    for _ in range(len(ANSWERS) - 1):
        await answer(cluster, url, user)


async def last_click(cluster: Cluster, url: str, user: str) -> None:
    found = open_question(cluster.fake.dm(user))
    assert found is not None
    with contextlib.suppress(aiohttp.ClientError):  # the replica may die under the request
        await cluster.slack.click(url, user, found[1], answer_action(found[0]))
