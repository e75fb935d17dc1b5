"""The advisor over every real store: racing clicks and retried deliveries apply once."""

from __future__ import annotations

import asyncio

from bot.advisor import Advisor, Context
from bot.core.conversation import Inbound
from bot.core.replies import Closed, Result
from bot.store.base import ConversationKey

KEY = ConversationKey("slack", "T1", "D1", "U1")


async def test_50_concurrent_clicks_on_one_question_apply_exactly_once(store, engine):
    advisor = Advisor(engine, store)
    started = (await advisor.start(KEY)).conversation
    click = Inbound.click("answer", started.ref, "no")
    turns = await asyncio.gather(*(advisor.handle(KEY, click) for _ in range(50)))
    applied = [t for t in turns if any(isinstance(r, Closed) for r in t.replies)]
    assert len(applied) == 1
    stored = await advisor.current(KEY)
    assert stored.version == started.version + 1
    assert stored.asked == ["upstream"] and stored.answers == {"upstream": "no"}


async def test_50_deliveries_of_one_event_are_handled_once(store, engine):
    advisor = Advisor(engine, store)
    started = (await advisor.start(KEY)).conversation
    click = Inbound.click("answer", started.ref, "fork")
    turns = await asyncio.gather(*(advisor.handle(KEY, click, event_id="evt-1")
                                   for _ in range(50)))
    assert sum(not t.duplicate for t in turns) == 1
    assert (await advisor.current(KEY)).version == started.version + 1


async def test_a_whole_check_through_the_advisor_lands_in_the_history_once(store, engine):
    advisor = Advisor(engine, store)
    await advisor.start(KEY)
    for answer in ("fork", "active", "none", "no", "none", "yes", "one"):
        turn = await advisor.handle(KEY, Inbound.typed(answer), Context(user_name="Ada"))
    assert any(isinstance(r, Result) for r in turn.replies)
    page = await store.history(user_id="U1")
    assert [(e.user_name, e.recommendation.path) for e in page.entries] == [
        ("Ada", "contribute_upstream")]


async def test_a_burst_of_300_turns_at_once_all_apply(store, engine):
    """More turns in flight than a connection pool holds wait for a connection; none fails."""
    advisor = Advisor(engine, store)
    keys = [ConversationKey("slack", "T1", "dm", f"burst{n}") for n in range(300)]
    started = await asyncio.gather(*(advisor.start(key, event_id=f"burst-start-{key.user}")
                                     for key in keys))
    assert all(turn.conversation is not None for turn in started)
    clicks = [advisor.handle(key, Inbound.click("answer", turn.conversation.ref, "no"),
                             event_id=f"burst-click-{key.user}")
              for key, turn in zip(keys, started, strict=True)]
    turns = await asyncio.gather(*clicks)
    assert all(turn.changed for turn in turns)
