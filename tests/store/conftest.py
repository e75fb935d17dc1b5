"""One `store` fixture over the three real backends: SQLite, PostgreSQL and Redis.

PostgreSQL: one throwaway database per test session, one schema per test. Redis: one key prefix
per test, its keys deleted afterwards. SQLite: a file in the test's tmp_path.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from bot.store.base import Store
from bot.store.redis import RedisConversationStore
from bot.store.sql import SqlStore
from tests.services import delete_redis_keys, redis_url, temporary_postgres_database

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services),
            pytest.param("redis", marks=pytest.mark.services)]


@dataclass
class Backend:
    """Where one test's data lives; `make()` opens another store on it (another replica)."""

    name: str
    make: Callable[[], Store]
    opened: list[Store] = field(default_factory=list)

    def open(self) -> Store:
        """A new store on this backend, closed at the end of the test."""
        store = self.make()
        self.opened.append(store)
        return store


def sql_of(store: Store) -> SqlStore:
    """The SQL side of a store (itself, or the history store behind Redis)."""
    return store.sql if isinstance(store, RedisConversationStore) else store  # type: ignore[return-value]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    with temporary_postgres_database() as url:
        yield url


def postgres_schema_url(request: pytest.FixtureRequest) -> str:
    """A new, empty schema in the session's database, as a URL whose search_path selects it."""
    database = request.getfixturevalue("postgres_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return f"{database}?options={quote(f'-csearch_path={schema}')}"


def _postgres_maker(request: pytest.FixtureRequest) -> Callable[[], Store]:
    url = postgres_schema_url(request)
    return lambda: SqlStore(url)


def _sqlite_maker(tmp_path: Path) -> Callable[[], Store]:
    return lambda: SqlStore(f"sqlite:///{tmp_path / 'state.db'}")


def _redis_maker(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    url = redis_url()
    prefix = f"osc-test-{uuid.uuid4().hex[:12]}:"
    request.addfinalizer(lambda: delete_redis_keys(url, prefix))
    database = f"sqlite:///{tmp_path / 'history.db'}"
    return lambda: RedisConversationStore(url, SqlStore(database), prefix=prefix)


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """A fresh, not yet set up, location on one backend."""
    name = request.param
    if name == "sqlite":
        make = _sqlite_maker(tmp_path)
    elif name == "postgresql":
        make = _postgres_maker(request)
    else:
        make = _redis_maker(request, tmp_path)
    chosen = Backend(name, make)
    yield chosen
    for store in chosen.opened:
        await store.close()


@pytest.fixture
async def store(backend: Backend) -> Store:
    """A set-up store on each backend in turn."""
    opened = backend.open()
    await opened.setup()
    return opened
