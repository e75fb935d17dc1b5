"""The use case: start, resume, turns saved with compare-and-set, duplicates, history."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest

from bot.advisor import Advisor, Context
from bot.core.conversation import Inbound
from bot.core.replies import AskQuestion, Notice, Result
from bot.store.base import ConversationKey
from tests.conftest import NOW
from tests.fakes import FakeStore

KEY = ConversationKey("slack", "T1", "D1", "U1")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def advisor(engine, store, clock) -> Advisor:
    ids = (f"c{n}" for n in itertools.count())
    return Advisor(engine, store, clock=clock, new_id=lambda: next(ids))


async def test_start_saves_a_new_conversation_and_asks_the_first_question(advisor, store):
    turn = await advisor.start(KEY)
    assert isinstance(turn.replies[-1], AskQuestion)
    saved = await store.load(KEY, NOW)
    assert saved.state == "upstream" and saved.ref == turn.replies[-1].ref


async def test_start_with_an_unfinished_check_offers_to_resume_it(advisor):
    await advisor.start(KEY)
    await advisor.handle(KEY, Inbound.typed("no"))
    turn = await advisor.start(KEY)
    assert "unfinished check" in turn.replies[0].text
    assert turn.replies[1].question.id == "confidential"


async def test_a_whole_check_is_recorded_in_the_history(advisor, store):
    await advisor.start(KEY)
    for text in ["fork", "active", "none", "no", "none", "yes", "one"]:
        turn = await advisor.handle(KEY, Inbound.typed(text), Context("C9", "Ada"))
    assert isinstance(turn.replies[-1], Result)
    (entry,) = store.entries
    assert (entry.user_id, entry.user_name, entry.channel) == ("U1", "Ada", "C9")
    assert entry.recommendation.path == "contribute_upstream"


async def test_the_same_event_delivered_three_times_is_applied_once(advisor, store):
    await advisor.start(KEY)
    turns = [await advisor.handle(KEY, Inbound.typed("no"), event_id="Ev1") for _ in range(3)]
    assert [t.duplicate for t in turns] == [False, True, True]
    assert (await store.load(KEY, NOW)).version == 1


async def test_fifty_concurrent_clicks_on_one_question_apply_once(advisor, store):
    started = await advisor.start(KEY)
    ref = started.conversation.ref
    turns = await asyncio.gather(*(advisor.handle(KEY, Inbound.click("answer", ref, "no"))
                                   for _ in range(50)))
    assert (await store.load(KEY, NOW)).asked == ["upstream"]
    stale = [t for t in turns if isinstance(t.replies[0], Notice)]
    assert len(stale) == 49


async def test_a_click_on_an_expired_conversation_is_answered_politely(advisor, clock):
    started = await advisor.start(KEY)
    clock.now = NOW + timedelta(days=8)
    turn = await advisor.handle(KEY, Inbound.click("answer", started.conversation.ref, "no"))
    assert turn.replies[0].level == "stale" and "expired" in turn.replies[0].text


async def test_typing_after_expiry_starts_a_new_check(advisor, clock):
    await advisor.start(KEY)
    clock.now = NOW + timedelta(days=8)
    turn = await advisor.handle(KEY, Inbound.typed("hi"))
    assert turn.replies[-1].question.id == "upstream"


async def test_a_new_check_after_a_finished_one_keeps_old_buttons_stale(advisor):
    await advisor.start(KEY)
    for text in ["fork", "active", "none", "no", "none", "yes", "one"]:
        finished = await advisor.handle(KEY, Inbound.typed(text))
    again = await advisor.start(KEY)
    assert again.conversation.version > finished.conversation.version
    old = await advisor.handle(KEY, Inbound.click("answer", finished.conversation.ref, "no"))
    assert old.replies[0].level == "stale"


async def test_a_user_starting_checks_in_a_flood_is_slowed_but_others_are_not(engine, store):
    from bot.ratelimit import RateLimiter  # noqa: PLC0415

    advisor = Advisor(engine, store, limiter=RateLimiter(burst=3, per_minute=6, clock=lambda: 0.0))
    flooder = [await advisor.start(KEY) for _ in range(5)]
    assert [t.conversation is not None for t in flooder] == [True, True, True, False, False]
    assert "try again in 10 seconds" in flooder[-1].replies[0].text
    other = await advisor.start(ConversationKey("slack", "T1", "D2", "U2"))
    assert other.conversation is not None


@pytest.mark.parametrize("text", ["cancel", "back", "help"])
async def test_a_command_with_no_check_in_progress_explains_and_starts_nothing(advisor, store,
                                                                             text):
    turn = await advisor.handle(KEY, Inbound.typed(text))
    assert "no check in progress" in turn.replies[0].text
    assert await store.load(KEY, NOW) is None
