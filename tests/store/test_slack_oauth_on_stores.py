"""Slack's OAuth state and installations over every real store: replicas racing on one state
consume it once, and replicas saving rotated tokens at once keep the newest."""

from __future__ import annotations

import asyncio

from slack_sdk.oauth.installation_store.models.bot import Bot

from bot.crypto import TokenCipher, generate_key
from bot.platforms.slack.oauth import RecordInstallationStore, RecordStateStore

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


def rotated(token: str, expires_at: int) -> Bot:
    return Bot(app_id="A1", enterprise_id="E1", team_id=None, bot_token=token, bot_id="B1",
               bot_user_id="UB", bot_scopes="chat:write", bot_refresh_token=f"r-{token}",
               bot_token_expires_at=expires_at, is_enterprise_install=True, installed_at=1.0)


async def test_replicas_saving_rotated_tokens_at_once_keep_the_newest(backend, store) -> None:
    cipher = TokenCipher(generate_key())
    replicas = [backend.open() for _ in range(REPLICAS)]
    await asyncio.gather(*(replica.setup() for replica in replicas))
    await asyncio.gather(*(RecordInstallationStore(replica, cipher).async_save_bot(
        rotated(f"xoxe.xoxb-{n}", 1000 + n)) for n, replica in enumerate(replicas)))
    found = await RecordInstallationStore(store, cipher).async_find_bot(
        enterprise_id="E1", team_id="T7", is_enterprise_install=False)  # any workspace of E1
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == (
        f"xoxe.xoxb-{REPLICAS - 1}", f"r-xoxe.xoxb-{REPLICAS - 1}")


async def test_a_late_save_of_an_older_token_does_not_replace_a_newer_one(store) -> None:
    installations = RecordInstallationStore(store, TokenCipher(generate_key()))
    await installations.async_save_bot(rotated("newer", 2000))
    await installations.async_save_bot(rotated("older", 1000))
    found = await installations.async_find_bot(enterprise_id="E1", team_id=None,
                                               is_enterprise_install=True)
    assert found is not None and found.bot_token == "newer"
    assert found.bot_token_expires_at == 2000
