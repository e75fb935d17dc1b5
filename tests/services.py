"""The real PostgreSQL and Redis servers for tests: URLs from the environment, or the local ones.

When a server does not answer, the test is skipped with the reason; with REQUIRE_SERVICES=1
(as `.ci/run` sets) it fails instead, so CI can never pass by silently skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import psycopg
import pytest
import redis
from psycopg import sql
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def services_required() -> bool:
    """True in CI: a missing service is a failure, not a skip."""
    return os.environ.get("REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip with `reason`, or fail with it when services are required."""
    if services_required():
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def postgres_url() -> str:
    """TEST_POSTGRES_URL (or the local server) once it answers."""
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        with psycopg.connect(_libpq(url), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        unavailable(f"PostgreSQL at {_safe(url)} does not answer: {error}".strip())
    return url


def redis_url() -> str:
    """TEST_REDIS_URL (or the local server) once it answers PING."""
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {_safe(url)} does not answer: {error}")
    finally:
        client.close()
    return url


@contextmanager
def temporary_postgres_database(url: str | None = None) -> Iterator[str]:
    """A uniquely named database on the server at `url` (default: the test server), dropped
    afterwards; yields its URL. psycopg's errors pass through when a given server is down."""
    url = url or postgres_url()
    name = f"osc_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(url), autocommit=True, connect_timeout=3) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(url), autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


def delete_redis_keys(url: str, prefix: str) -> None:
    """Remove every key under `prefix` (a test run's own keys)."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _libpq(url: str) -> str:
    """libpq takes postgresql:// URLs without SQLAlchemy's +driver suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
