"""Conversation state and idempotency keys in Redis; history and records in SQL.

Each conversation is a hash {v: version, d: JSON, e: expiry}. Compare-and-set and the
idempotency check are Lua scripts, which Redis runs atomically, so racing replicas need no
WATCH/MULTI retry loop. Keys also carry a native TTL, so Redis drops idle state by itself; the
expiry stored beside the value keeps the answer consistent with the caller's clock (`now`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

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
from bot.store.sql import SqlStore, check_key
from bot.store.sql_reviews import SqlReviewStore

DEFAULT_PREFIX = "opensource-check:"
POOL_SIZE = 50  # connections per replica; a Redis command takes well under a millisecond
POOL_WAIT_SECONDS = 20
HEALTH_CHECK_SECONDS = 30  # a connection idle this long is pinged before use

# KEYS[1] conversation, KEYS[2] (optional) the delivery's event id; ARGV: expected version
# ('' for none), new version, JSON, now (us), expiry (us), TTL (ms), then the event's expiry
# (us) and window (ms). A stored but expired conversation counts as none. Answers 1 when saved,
# 0 on a lost compare-and-set, -1 when the event id is live (a retried delivery).
_SAVE = """
if #KEYS > 1 then
  local seen = redis.call('GET', KEYS[2])
  if seen and tonumber(seen) > tonumber(ARGV[4]) then return -1 end
end
local found = redis.call('HMGET', KEYS[1], 'v', 'e')
local live = found[1] and tonumber(found[2]) >= tonumber(ARGV[4])
if ARGV[1] == '' then
  if live then return 0 end
elseif not live or found[1] ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3], 'e', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if #KEYS > 1 then redis.call('SET', KEYS[2], ARGV[7], 'PX', ARGV[8]) end
return 1
"""

# KEYS[1] event id; ARGV: now (us), expiry (us), window (ms).
_FIRST_TIME = """
local expires = redis.call('GET', KEYS[1])
if expires and tonumber(expires) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _millis(span: timedelta) -> int:
    return max(1, int(span.total_seconds() * 1000))


def _escape_glob(text: str) -> str:
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


class RedisConversationStore:
    """The Store port: conversations and event ids in Redis, everything else in `sql`."""

    def __init__(self, redis_url: str, sql: SqlStore, *, prefix: str = DEFAULT_PREFIX,
                 ttl: timedelta = DEFAULT_CONVERSATION_TTL,
                 window: timedelta = DEFAULT_IDEMPOTENCY_WINDOW, timeout: float = 5) -> None:
        # Every turn in flight shares the pool. redis-py's default pool fails a command with
        # "Too many connections" past 100; this one makes a burst wait for a free connection.
        # A connection left stale by a Redis restart fails once and is retried on a new one;
        # a Redis that stops answering fails the command after `timeout`.
        pool = BlockingConnectionPool.from_url(
            redis_url, max_connections=POOL_SIZE, timeout=min(POOL_WAIT_SECONDS, timeout * 4),
            socket_connect_timeout=timeout, socket_timeout=timeout,
            health_check_interval=HEALTH_CHECK_SECONDS, retry=Retry(NoBackoff(), 1),
            retry_on_error=[RedisConnectionError, RedisTimeoutError])
        self.redis: Redis = Redis.from_pool(pool)
        self.sql, self.prefix, self.ttl, self.window = sql, prefix, ttl, window
        self._save = self.redis.register_script(_SAVE)
        self._first_time = self.redis.register_script(_FIRST_TIME)

    @property
    def reviews(self) -> SqlReviewStore:
        """OSPO reviews live in SQL beside the history."""
        return self.sql.reviews

    def _conversation_key(self, key: ConversationKey) -> str:
        return f"{self.prefix}conv:{key}"

    async def setup(self) -> None:
        """Migrate the SQL side; Redis needs no schema."""
        await self.sql.setup()

    async def close(self) -> None:
        """Release both connection pools."""
        await self.redis.aclose()
        await self.sql.close()

    async def ping(self) -> bool:
        """True when Redis and the database both answer."""
        try:
            answered = bool(await self.redis.ping())
        except Exception:  # noqa: BLE001  (any failure means unhealthy)
            return False
        return answered and await self.sql.ping()

    async def load(self, key: ConversationKey, now: datetime) -> Conversation | None:
        """The live conversation, or None when absent or idle past the TTL."""
        data, expires = await self.redis.hmget(self._conversation_key(key), ["d", "e"])
        if data is None or expires is None or int(expires) < _micros(now):
            return None
        return Conversation.from_json(data)

    async def save(self, key: ConversationKey, conversation: Conversation,
                   expected_version: int | None, now: datetime,
                   finished: HistoryEntry | None = None, *, event: str | None = None) -> None:
        """Compare-and-set and the event id in one Lua script; ConflictError when another save
        came first, DuplicateError (nothing saved) when the event id is live.

        Redis and SQL share no transaction, so a check's history entry is written first, once
        per conversation id and version: a crash after it leaves an entry whose save is
        redone by the user's retry (which finds the entry already there), never a finished
        check without one. An entry whose save then loses its race is taken back, unless the
        save that won stored this very check (a double click computing the same result).
        """
        written = finished is not None and await self.sql.record_history(
            finished, check_key(conversation))
        keys = [self._conversation_key(key)]
        args: list[Any] = [
            "" if expected_version is None else str(expected_version), conversation.version,
            conversation.to_json(), _micros(now), _micros(now + self.ttl), _millis(self.ttl)]
        if event is not None:
            keys.append(self._event_key(event))
            args += [_micros(now + self.window), _millis(self.window)]
        saved = int(await self._save(keys=keys, args=args))
        if saved == 1:
            return
        if written and not await self._holds(key, conversation, now):
            await self.sql.forget_history(check_key(conversation))
        if saved < 0:
            raise DuplicateError(f"{key}: event {event} was seen already")
        raise ConflictError(f"{key}: the stored version is not {expected_version}")

    async def _holds(self, key: ConversationKey, conversation: Conversation,
                     now: datetime) -> bool:
        stored = await self.load(key, now)
        return (stored is not None and stored.id == conversation.id
                and stored.version == conversation.version)

    def _event_key(self, event_key: str) -> str:
        return f"{self.prefix}event:{event_key}"

    async def delete(self, key: ConversationKey) -> None:
        """Forget the conversation."""
        await self.redis.delete(self._conversation_key(key))

    async def first_time(self, event_key: str, now: datetime) -> bool:
        """SET the event id with a native expiry unless a live one exists, atomically."""
        args = [_micros(now), _micros(now + self.window), _millis(self.window)]
        return bool(await self._first_time(keys=[self._event_key(event_key)], args=args))

    async def forget_user(self, user_id: str, platform: str | None = None) -> int:
        """Delete a user's conversations here and their history in SQL; how many went."""
        platform_glob = "*" if platform is None else _escape_glob(platform)
        pattern = f"{_escape_glob(self.prefix)}conv:{platform_glob}:*:{_escape_glob(user_id)}"
        keys = [key async for key in self.redis.scan_iter(match=pattern, count=500)]
        gone = int(await self.redis.delete(*keys)) if keys else 0
        return gone + await self.sql.forget_user(user_id, platform)

    # --- delegated to SQL -------------------------------------------------------------------

    async def record_history(self, entry: HistoryEntry, key: str | None = None) -> bool:
        """Append a completed check (in SQL), once per `key`."""
        return await self.sql.record_history(entry, key)

    async def history(self, *, user_id: str | None = None, workspace: str | None = None,
                      platform: str | None = None, limit: int = 20,
                      offset: int = 0) -> HistoryPage:
        """Completed checks, newest first (from SQL)."""
        return await self.sql.history(user_id=user_id, workspace=workspace, platform=platform,
                                      limit=limit, offset=offset)

    async def purge_history(self, older_than: datetime) -> int:
        """Delete checks completed before `older_than` (in SQL)."""
        return await self.sql.purge_history(older_than)

    async def put_record(self, kind: str, scope: str, key: str, value: str) -> None:
        """Keep a record (in SQL)."""
        await self.sql.put_record(kind, scope, key, value)

    async def put_records(self, kind: str, scope: str, values: Mapping[str, str]) -> None:
        """Keep several records at once (in SQL, one transaction)."""
        await self.sql.put_records(kind, scope, values)

    async def get_records(self, kind: str, scope: str) -> dict[str, str]:
        """Every record of `kind` in `scope` (from SQL)."""
        return await self.sql.get_records(kind, scope)

    async def delete_record(self, kind: str, scope: str, key: str) -> None:
        """Forget one record (in SQL)."""
        await self.sql.delete_record(kind, scope, key)

    async def swap_record(self, kind: str, scope: str, key: str, expected: str | None,
                          value: str) -> bool:
        """Compare-and-set a record (in SQL)."""
        return await self.sql.swap_record(kind, scope, key, expected, value)
