"""The store the settings name: DATABASE_URL picks the SQL backend, REDIS_URL adds Redis."""

from __future__ import annotations

from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreUnavailableError
from bot.settings import Settings
from bot.store.base import Store
from bot.store.sql import SqlStore


def create_store(settings: Settings) -> Store:
    """SQLite or PostgreSQL from DATABASE_URL; with REDIS_URL, conversations go to Redis.

    Raises ValueError naming DATABASE_URL when its scheme is neither sqlite nor postgresql.
    """
    ttl = timedelta(days=settings.conversation_ttl_days)
    window = timedelta(seconds=settings.idempotency_window_seconds)
    timeout = settings.store_timeout_seconds
    sql = SqlStore(settings.database_url, ttl=ttl, window=window, timeout=timeout)
    if settings.redis_url is None:
        return sql
    from bot.store.redis import RedisConversationStore  # noqa: PLC0415  (only when asked for)

    return RedisConversationStore(settings.redis_url, sql, ttl=ttl, window=window,
                                  timeout=timeout)


def is_outage(error: BaseException) -> bool:
    """Whether `error` means the store did not answer (so nothing was saved)."""
    return isinstance(error, StoreUnavailableError | SQLAlchemyError | RedisError)


def store_kind(settings: Settings) -> str:
    """What the start-up line says about the store: no URL, so no password in the log."""
    sql = settings.database_url.split(":", 1)[0].split("+", 1)[0]
    return f"{sql} + redis" if settings.redis_url else sql
