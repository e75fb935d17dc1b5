"""Test doubles that implement the real ports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core.conversation import Conversation
from bot.store.base import (
    DEFAULT_CONVERSATION_TTL,
    DEFAULT_IDEMPOTENCY_WINDOW,
    ConflictError,
    ConversationKey,
    DuplicateError,
    HistoryEntry,
    HistoryPage,
)


class FakeStore:
    """The Store port in memory, with the same compare-and-set and expiry semantics."""

    def __init__(self, ttl: timedelta = DEFAULT_CONVERSATION_TTL,
                 window: timedelta = DEFAULT_IDEMPOTENCY_WINDOW) -> None:
        self.ttl, self.window = ttl, window
        self.conversations: dict[str, tuple[str, datetime]] = {}
        self.events: dict[str, datetime] = {}
        self.entries: list[HistoryEntry] = []
        self.records: dict[tuple[str, str, str], str] = {}

    async def setup(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def load(self, key: ConversationKey, now: datetime) -> Conversation | None:
        found = self.conversations.get(str(key))
        if found is None or now - found[1] > self.ttl:
            return None
        return Conversation.from_json(found[0])

    async def save(self, key: ConversationKey, conversation: Conversation,
                   expected_version: int | None, now: datetime,
                   finished: HistoryEntry | None = None, *, event: str | None = None) -> None:
        seen = self.events.get(event) if event is not None else None
        if seen is not None and now - seen < self.window:
            raise DuplicateError(str(event))
        current = await self.load(key, now)
        if (current.version if current else None) != expected_version:
            raise ConflictError(str(key))
        if event is not None:
            self.events[event] = now
        self.conversations[str(key)] = (conversation.to_json(), now)
        if finished is not None:
            self.entries.append(finished)

    async def delete(self, key: ConversationKey) -> None:
        self.conversations.pop(str(key), None)

    async def first_time(self, event_key: str, now: datetime) -> bool:
        seen = self.events.get(event_key)
        if seen is not None and now - seen < self.window:
            return False
        self.events[event_key] = now
        return True

    async def record_history(self, entry: HistoryEntry,
                             key: str | None = None) -> bool:  # noqa: ARG002
        self.entries.append(entry)
        return True

    async def history(self, *, user_id: str | None = None, workspace: str | None = None,
                      platform: str | None = None, limit: int = 20,
                      offset: int = 0) -> HistoryPage:
        matching = [e for e in reversed(self.entries)
                    if user_id in (None, e.user_id) and workspace in (None, e.workspace)
                    and platform in (None, e.platform)]
        page = matching[offset:offset + limit]
        more = offset + limit < len(matching)
        return HistoryPage(entries=page, next_offset=offset + limit if more else None)

    async def purge_history(self, older_than: datetime) -> int:
        kept = [e for e in self.entries if e.completed_at >= older_than]
        gone, self.entries = len(self.entries) - len(kept), kept
        return gone

    async def forget_user(self, user_id: str, platform: str | None = None) -> int:
        def theirs(p: str, u: str) -> bool:
            return u == user_id and platform in (None, p)

        kept = [e for e in self.entries if not theirs(e.platform, e.user_id)]
        keys = [k for k in self.conversations if theirs(k.split(":")[0], k.split(":")[-1])]
        for k in keys:
            del self.conversations[k]
        gone, self.entries = len(self.entries) - len(kept) + len(keys), kept
        return gone

    async def put_record(self, kind: str, scope: str, key: str, value: str) -> None:
        self.records[(kind, scope, key)] = value

    async def put_records(self, kind: str, scope: str, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self.records[(kind, scope, key)] = value

    async def get_records(self, kind: str, scope: str) -> dict[str, str]:
        return {k: v for (kd, sc, k), v in self.records.items() if (kd, sc) == (kind, scope)}

    async def delete_record(self, kind: str, scope: str, key: str) -> None:
        self.records.pop((kind, scope, key), None)

    async def swap_record(self, kind: str, scope: str, key: str, expected: str | None,
                          value: str) -> bool:
        if self.records.get((kind, scope, key)) != expected:
            return False
        self.records[(kind, scope, key)] = value
        return True
