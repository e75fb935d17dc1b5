"""Slack's OAuth state over every real store: replicas racing on one state consume it once."""

from __future__ import annotations

import asyncio

from bot.platforms.slack_oauth import RecordStateStore

REPLICAS = 4


async def test_a_state_is_consumed_once_when_replicas_race_for_it(backend, store) -> None:
    replicas = [backend.open() for _ in range(REPLICAS)]
    await asyncio.gather(*(replica.setup() for replica in replicas))
    state = await RecordStateStore(store).async_issue()
    consumed = await asyncio.gather(*(RecordStateStore(replica).async_consume(state)
                                      for replica in replicas for _ in range(5)))
    assert consumed.count(True) == 1
    assert await RecordStateStore(store).async_consume(state) is False


async def test_unknown_and_expired_states_are_refused(store) -> None:
    assert await RecordStateStore(store).async_consume("never-issued") is False
    expired = await RecordStateStore(store, ttl_seconds=-1).async_issue()
    assert await RecordStateStore(store).async_consume(expired) is False
