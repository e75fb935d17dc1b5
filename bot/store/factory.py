"""The store the settings name: DATABASE_URL picks the SQL backend, REDIS_URL adds Redis."""

from __future__ import annotations

from datetime import timedelta

from bot.settings import Settings
from bot.store.base import Store
from bot.store.sql import SqlStore


def create_store(settings: Settings) -> Store:
    """SQLite or PostgreSQL from DATABASE_URL; with REDIS_URL, conversations go to Redis.

    Raises ValueError naming DATABASE_URL when its scheme is neither sqlite nor postgresql.
    """
    ttl = timedelta(days=settings.conversation_ttl_days)
    window = timedelta(seconds=settings.idempotency_window_seconds)
    sql = SqlStore(settings.database_url, ttl=ttl, window=window)
    if settings.redis_url is None:
        return sql
    from bot.store.redis import RedisConversationStore  # noqa: PLC0415  (only when asked for)

    return RedisConversationStore(settings.redis_url, sql, ttl=ttl, window=window)
