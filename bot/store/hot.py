"""The store's hot path: the statements of every turn as plain SQL, run straight on the driver.

A turn reads its conversation and records and writes one transaction (the event id, the
compare-and-set save, a finished check's history entry). Built by SQLAlchemy per call, those
statements cost more CPU than the database spends on them, so they are written out once here,
for both dialects (they share the `INSERT ... ON CONFLICT` spelling), and run:

- on SQLite, by `SqliteRunner`: one `sqlite3` connection on one thread of its own, each store
  call a whole transaction in one hop to that thread (writes `BEGIN IMMEDIATE`, so a second
  process waits on the busy timeout rather than failing to upgrade a read lock);
- on PostgreSQL, through SQLAlchemy's pool (`exec_driver_sql`: no statement building or
  compiling), which keeps its timeouts and its check of stale pooled connections.

The guarantees are the statements' own, as before: the event insert and the conversation update
only count when their row count is 1, and a transaction whose step does not count is rolled
back whole.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.errors import StoreUnavailableError
from bot.store.base import HistoryEntry

T = TypeVar("T")

LOAD = "SELECT data FROM conversations WHERE key = :key AND expires_at >= :now"

INSERT_CONVERSATION = (
    "INSERT INTO conversations (key, platform, user_id, data, version, updated_at, expires_at) "
    "VALUES (:key, :platform, :user_id, :data, :version, :updated_at, :expires_at) "
    "ON CONFLICT (key) DO UPDATE SET platform = excluded.platform, user_id = excluded.user_id, "
    "data = excluded.data, version = excluded.version, updated_at = excluded.updated_at, "
    "expires_at = excluded.expires_at WHERE conversations.expires_at < :now")

UPDATE_CONVERSATION = (
    "UPDATE conversations SET platform = :platform, user_id = :user_id, data = :data, "
    "version = :version, updated_at = :updated_at, expires_at = :expires_at "
    "WHERE key = :key AND version = :expected AND expires_at >= :now")

CLAIM_EVENT = (
    "INSERT INTO events (key, expires_at) VALUES (:event, :event_expires) "
    "ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at "
    "WHERE events.expires_at <= :now")

GET_RECORDS = "SELECT key, value FROM records WHERE kind = :kind AND scope = :scope"

PUT_RECORD = (
    "INSERT INTO records (kind, scope, key, value) VALUES (:kind, :scope, :key, :value) "
    "ON CONFLICT (kind, scope, key) DO UPDATE SET value = excluded.value")

DELETE_RECORD = "DELETE FROM records WHERE kind = :kind AND scope = :scope AND key = :key"

_HISTORY_COLUMNS = ("platform", "workspace", "channel", "user_id", "user_name", "completed_at",
                    "flow", "flow_version", "path", "governance", "answers", "recommendation",
                    "check_key")


def _history_insert(json_cast: str) -> str:
    values = [f":{c}{json_cast}" if c in ("answers", "recommendation") else f":{c}"
              for c in _HISTORY_COLUMNS]
    columns = ", ".join(_HISTORY_COLUMNS)
    return (f"INSERT INTO history ({columns}) VALUES ({', '.join(values)}) "  # noqa: S608
            "ON CONFLICT (check_key) DO NOTHING")  # (constants: the values are parameters)


INSERT_HISTORY = {"sqlite": _history_insert(""), "postgresql": _history_insert("::jsonb")}

_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)")


@functools.cache
def for_psycopg(sql: str) -> str:
    """`:name` placeholders as psycopg's `%(name)s` (a `::type` cast is left alone)."""
    return _NAMED.sub(r"%(\1)s", sql)


def sqlite_time(moment: datetime) -> str:
    """A timestamp exactly as SQLAlchemy's SQLite DateTime stores it (UTC, no offset), so the
    rows written here compare and read back like the rest."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass an aware one")
    t = moment.astimezone(UTC)
    return (f"{t.year:04d}-{t.month:02d}-{t.day:02d} "
            f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond:06d}")


def history_params(entry: HistoryEntry, check_key: str | None) -> dict[str, Any]:
    """The history row's parameters; JSON columns as JSON text."""
    rec = entry.recommendation
    return {"platform": entry.platform, "workspace": entry.workspace, "channel": entry.channel,
            "user_id": entry.user_id, "user_name": entry.user_name,
            "completed_at": entry.completed_at, "flow": entry.flow,
            "flow_version": entry.flow_version, "path": rec.path.value,
            "governance": rec.governance.value, "answers": json.dumps(entry.answers),
            "recommendation": rec.model_dump_json(), "check_key": check_key}


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of a transaction; with `abort`, a row count other than 1 rolls the whole
    transaction back and the transaction answers `abort`."""

    sql: str
    params: Mapping[str, Any]
    abort: str | None = None


class SqliteRunner:
    """One SQLite connection on one thread: every call is one hop there and back.

    Statements on one file are serialised by SQLite anyway; one connection spares the pool, and
    a whole transaction in one hop spares a thread switch per statement.
    """

    def __init__(self, path: str, pragmas: Callable[[sqlite3.Connection], None]) -> None:
        self._path = path
        self._pragmas = pragmas
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        self._connection: sqlite3.Connection | None = None

    def _connected(self) -> sqlite3.Connection:
        if self._connection is None:  # only ever on the runner's own thread
            connection = sqlite3.connect(self._path, isolation_level=None,
                                         check_same_thread=False)
            self._pragmas(connection)
            self._connection = connection
        return self._connection

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            try:
                return work(self._connected())
            except sqlite3.OperationalError as error:  # locked past the busy timeout, disk
                raise StoreUnavailableError(f"the SQLite database failed: {error}") from error

        return await asyncio.get_running_loop().run_in_executor(self._executor, run)

    async def fetch(self, sql: str, params: Mapping[str, Any]) -> list[Any]:
        """The rows of one query (autocommit: a read needs no transaction of its own)."""
        return await self._call(lambda c: c.execute(sql, _bind(params)).fetchall())

    async def transact(self, steps: Sequence[Step]) -> str | None:
        """Run `steps` in one write transaction: None when committed, else the `abort` of the
        step whose row count was not 1 (everything rolled back)."""
        def work(connection: sqlite3.Connection) -> str | None:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for step in steps:
                    count = connection.execute(step.sql, _bind(step.params)).rowcount
                    if step.abort is not None and count != 1:
                        connection.execute("ROLLBACK")
                        return step.abort
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return None

        return await self._call(work)

    async def close(self) -> None:
        """Close the connection on its thread, then stop the thread."""
        def shut(connection: sqlite3.Connection | None) -> None:
            if connection is not None:
                connection.close()
            self._connection = None

        if self._connection is not None:
            await asyncio.get_running_loop().run_in_executor(
                self._executor, shut, self._connection)
        self._executor.shutdown(wait=False)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")


def _bind(params: Mapping[str, Any]) -> Mapping[str, Any]:
    if not any(isinstance(v, datetime) for v in params.values()):
        return params
    return {k: sqlite_time(v) if isinstance(v, datetime) else v for k, v in params.items()}
