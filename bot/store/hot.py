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
    """SQLite calls on the event loop itself, and on a thread only when another process holds
    the write lock.

    A statement on a local SQLite file takes microseconds, less than a switch to another
    thread and back; and a thread that must win the GIL back from a busy event loop waits for
    the interpreter's switch interval (5 ms) at every statement, which under load made each
    store call cost milliseconds. So each call first runs on the loop's own connection, whose
    busy timeout is zero; when another process (a second worker, a CLI command) holds the lock,
    the call fails at once having done nothing, and is run again on a second connection on a
    thread of its own, which waits out SQLITE_BUSY_TIMEOUT there instead of blocking the loop.
    """

    def __init__(self, path: str, pragmas: Callable[[sqlite3.Connection], None]) -> None:
        self._path = path
        self._pragmas = pragmas
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        self._here: sqlite3.Connection | None = None  # the loop's, busy timeout 0
        self._there: sqlite3.Connection | None = None  # the thread's, waits on the lock

    def _open(self, *, wait: bool) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        self._pragmas(connection)  # with the busy timeout: WAL mode itself may wait
        if not wait:
            connection.execute("PRAGMA busy_timeout = 0")
        return connection

    def _on_thread(self) -> sqlite3.Connection:
        if self._there is None:  # only ever on the runner's own thread
            self._there = self._open(wait=True)
        return self._there

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            if self._here is None:
                self._here = self._open(wait=False)
            return work(self._here)
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise StoreUnavailableError(f"the SQLite database failed: {error}") from error

        def there() -> T:  # the work did nothing (see `transact`): do it again, waiting
            try:
                return work(self._on_thread())
            except sqlite3.OperationalError as error:  # locked past the busy timeout, disk
                raise StoreUnavailableError(f"the SQLite database failed: {error}") from error

        return await asyncio.get_running_loop().run_in_executor(self._executor, there)

    async def fetch(self, sql: str, params: Mapping[str, Any]) -> list[Any]:
        """The rows of one query (autocommit: a read needs no transaction of its own)."""
        return await self._call(lambda c: c.execute(sql, _bind(params)).fetchall())

    async def transact(self, steps: Sequence[Step]) -> str | None:
        """Run `steps` in one write transaction: None when committed, else the `abort` of the
        step whose row count was not 1 (everything rolled back). Anything that fails rolls the
        whole transaction back, so running it again elsewhere is safe."""
        def work(connection: sqlite3.Connection) -> str | None:
            connection.execute("BEGIN IMMEDIATE")  # takes the write lock, or fails at once
            try:
                for step in steps:
                    count = connection.execute(step.sql, _bind(step.params)).rowcount
                    if step.abort is not None and count != 1:
                        connection.execute("ROLLBACK")
                        return step.abort
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            return None

        return await self._call(work)

    async def close(self) -> None:
        """Close both connections (the thread's on its thread)."""
        def shut() -> None:
            if self._there is not None:
                self._there.close()
                self._there = None

        await asyncio.get_running_loop().run_in_executor(self._executor, shut)
        if self._here is not None:
            self._here.close()
            self._here = None


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)


def _bind(params: Mapping[str, Any]) -> Mapping[str, Any]:
    if not any(isinstance(v, datetime) for v in params.values()):
        return params
    return {k: sqlite_time(v) if isinstance(v, datetime) else v for k, v in params.items()}
