"""DATABASE_URL and REDIS_URL pick the store; nothing connects until setup()."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, default_database_url
from bot.store.factory import create_store
from bot.store.redis import RedisConversationStore
from bot.store.sql import SqlStore, engine_url


@pytest.mark.parametrize(("given", "driver"), [
    ("sqlite:///tmp/x.db", "sqlite+aiosqlite"),
    ("postgresql://u@h/db", "postgresql+psycopg"),
    ("postgres://u@h/db", "postgresql+psycopg"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
])
def test_database_urls_map_to_the_async_drivers(given: str, driver: str) -> None:
    assert engine_url(given).drivername == driver


def test_an_unknown_scheme_is_a_value_error_naming_database_url() -> None:
    with pytest.raises(ValueError, match="DATABASE_URL") as raised:
        create_store(Settings(database_url="mysql://user:secret@h/db"))
    assert "secret" not in str(raised.value)


async def test_a_sqlite_url_gives_a_sql_store_and_creates_its_directory(tmp_path: Path) -> None:
    store = create_store(Settings(database_url=f"sqlite:///{tmp_path / 'deep' / 'x.db'}"))
    assert isinstance(store, SqlStore) and (tmp_path / "deep").is_dir()
    await store.close()


async def test_a_redis_url_puts_conversations_in_redis_and_history_in_sql(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}",
                        redis_url="redis://127.0.0.1:1/0", conversation_ttl_days=2,
                        idempotency_window_seconds=60)
    store = create_store(settings)
    assert isinstance(store, RedisConversationStore) and isinstance(store.sql, SqlStore)
    assert store.ttl.days == 2 and store.window.total_seconds() == 60
    await store.close()


def test_the_default_database_is_sqlite_in_the_user_data_directory() -> None:
    assert default_database_url().startswith("sqlite:///")
    assert default_database_url().endswith("opensource-check.db")
