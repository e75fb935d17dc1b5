"""Slack installations and OAuth state kept in the project's store, so every replica shares them.

slack_sdk ships SQLAlchemy stores, but they would add their own tables beside the project's and
know nothing of Redis deployments; the store's small-record API already works everywhere.
Bot tokens and refresh tokens are encrypted with bot.crypto when ENCRYPTION_KEY is set.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.crypto import TokenCipher
from bot.store.base import Store

log = logging.getLogger(__name__)

BOTS = "slack.bot"
STATES = "slack.oauth_state"
STATES_SCOPE = "pending"
STATE_TTL_SECONDS = 600
SAVE_ATTEMPTS = 10


class WorkspaceNotAllowedError(Exception):
    """An install into a workspace that ALLOWED_WORKSPACES does not list."""


def _team_key(enterprise_id: str | None, team_id: str | None,
              is_enterprise_install: bool | None) -> str:
    return f"{enterprise_id or '-'}:{'-' if is_enterprise_install else team_id or '-'}"


class RecordInstallationStore(AsyncInstallationStore):
    """Bot installations, one record per workspace, or one per organisation for org-wide installs.

    With token rotation, replicas refreshing the same expiring token at once each get a new one
    from Slack and race to save it: the save is a compare-and-set that keeps the token issued
    last (the later expiry), so a slow replica never puts an older token back.
    """

    def __init__(self, store: Store, cipher: TokenCipher,
                 allowed: frozenset[str] = frozenset()) -> None:
        self._store = store
        self._cipher = cipher
        self._allowed = allowed

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await self.async_save_bot(installation.to_bot())

    async def async_save_bot(self, bot: Bot) -> None:
        if self._allowed and not {bot.team_id, bot.enterprise_id} & self._allowed:
            log.warning("install refused: workspace not in ALLOWED_WORKSPACES",
                        extra={"workspace": bot.team_id})
            raise WorkspaceNotAllowedError(bot.team_id)
        record = self._record(bot)
        key = _team_key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        for _ in range(SAVE_ATTEMPTS):
            stored = (await self._store.get_records(BOTS, "installations")).get(key)
            if stored is not None and _newer(json.loads(stored), record):
                log.info("a newer slack token is already stored", extra={"workspace": key})
                return
            if await self._store.swap_record(BOTS, "installations", key, stored,
                                             json.dumps(record)):
                log.info("slack installation saved", extra={"workspace": key})
                return
        log.warning("slack installation not saved: too many concurrent saves",
                    extra={"workspace": key})

    def _record(self, bot: Bot) -> dict[str, Any]:
        refresh = bot.bot_refresh_token
        return {
            "app_id": bot.app_id, "enterprise_id": bot.enterprise_id, "team_id": bot.team_id,
            "team_name": bot.team_name, "bot_token": self._cipher.encrypt(bot.bot_token),
            "bot_id": bot.bot_id, "bot_user_id": bot.bot_user_id, "bot_scopes": bot.bot_scopes,
            "bot_refresh_token": self._cipher.encrypt(refresh) if refresh else None,
            "bot_token_expires_at": bot.bot_token_expires_at,
            "is_enterprise_install": bot.is_enterprise_install, "installed_at": bot.installed_at}

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        records = await self._store.get_records(BOTS, "installations")
        found = records.get(_team_key(enterprise_id, team_id, is_enterprise_install))
        if found is None and enterprise_id:
            # A workspace of an organisation that installed the app org-wide: some payloads do
            # not say `is_enterprise_install`, so the organisation's install is the fallback.
            found = records.get(_team_key(enterprise_id, None, True))
        if found is None:
            return None
        record = json.loads(found)
        record["bot_token"] = self._cipher.decrypt(record["bot_token"])
        if record.get("bot_refresh_token"):
            record["bot_refresh_token"] = self._cipher.decrypt(record["bot_refresh_token"])
        return Bot(**record)

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False,
                                      ) -> Installation | None:
        bot = await self.async_find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                        is_enterprise_install=is_enterprise_install)
        if bot is None:
            return None
        return Installation(
            app_id=bot.app_id, enterprise_id=bot.enterprise_id, team_id=bot.team_id,
            team_name=bot.team_name, bot_token=bot.bot_token, bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id, bot_scopes=bot.bot_scopes, user_id=user_id or "",
            bot_refresh_token=bot.bot_refresh_token,
            bot_token_expires_at=bot.bot_token_expires_at,
            is_enterprise_install=bot.is_enterprise_install, installed_at=bot.installed_at)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._store.delete_record(BOTS, "installations",
                                        _team_key(enterprise_id, team_id, False))

    async def async_delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                        user_id: str | None = None,  # noqa: ARG002
                                        ) -> None:
        # Bot-only installs: the workspace's one bot record goes, whoever's install it was.
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)


def _newer(stored: dict[str, Any], saving: dict[str, Any]) -> bool:
    """Whether the stored token was issued after the one being saved (rotating tokens only)."""
    before, after = stored.get("bot_token_expires_at"), saving.get("bot_token_expires_at")
    return before is not None and after is not None and int(before) > int(after)


class RecordStateStore(AsyncOAuthStateStore):
    """One-time OAuth states: issued with an expiry, consumed at most once, purged once expired.

    Every GET /slack/install issues one, so issuing also deletes the expired ones: the states
    kept are those of the last ten minutes, however many requests came.
    """

    def __init__(self, store: Store, ttl_seconds: int = STATE_TTL_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:  # noqa: ARG002  (the port's signature)
        state = secrets.token_urlsafe(24)
        await self.purge_expired()
        await self._store.put_record(STATES, STATES_SCOPE, state,
                                     str(self._clock() + self._ttl))
        return state

    async def purge_expired(self) -> int:
        """Delete the states past their expiry; how many went."""
        now = self._clock()
        states = await self._store.get_records(STATES, STATES_SCOPE)
        expired = [state for state, expires in states.items() if float(expires) <= now]
        for state in expired:
            await self._store.delete_record(STATES, STATES_SCOPE, state)
        return len(expired)

    async def async_consume(self, state: str) -> bool:
        found = (await self._store.get_records(STATES, STATES_SCOPE)).get(state)
        # Two replicas can read the record before either deletes it; the store's atomic
        # first_time lets exactly one of them consume the state.
        if found is None or not await self._store.first_time(f"slack.oauth_state:{state}",
                                                             datetime.now(UTC)):
            return False
        await self._store.delete_record(STATES, STATES_SCOPE, state)
        return self._clock() < float(found)


async def rotate_tokens(store: Store, cipher: TokenCipher) -> int:
    """Re-encrypt every stored bot token and refresh token with the newest ENCRYPTION_KEY; how
    many installations there were. A token a running server refreshes meanwhile is kept: each
    record is swapped only over the value that was re-encrypted, else read again."""
    installations = await store.get_records(BOTS, "installations")
    for key, value in installations.items():
        current: str | None = value
        for _ in range(SAVE_ATTEMPTS):
            if current is None or await store.swap_record(BOTS, "installations", key, current,
                                                           _reencrypted(current, cipher)):
                break
            current = (await store.get_records(BOTS, "installations")).get(key)
    return len(installations)


def _reencrypted(value: str, cipher: TokenCipher) -> str:
    record = json.loads(value)
    record["bot_token"] = cipher.rotate(record["bot_token"])
    if record.get("bot_refresh_token"):
        record["bot_refresh_token"] = cipher.rotate(record["bot_refresh_token"])
    return json.dumps(record)
