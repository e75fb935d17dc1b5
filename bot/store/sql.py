"""The store on SQL: SQLite (aiosqlite) or PostgreSQL (psycopg 3), through SQLAlchemy 2 async Core.

Every write that must not be applied twice is one statement whose WHERE clause is the check:
a compare-and-set `UPDATE ... WHERE version = :expected`, or an upsert that only replaces an
expired row (`ON CONFLICT DO UPDATE ... WHERE expires_at < :now`). Both databases serialise
those statements on the row, so exactly one of many racing writers sees a row count of 1.
Dialect differences are left to SQLAlchemy's own `insert().on_conflict_*` constructs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy import (
    inspect as sa_inspect,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.core.conversation import Conversation
from bot.core.outcomes import Recommendation
from bot.errors import StoreUnavailableError
from bot.store.base import (
    DEFAULT_CONVERSATION_TTL,
    DEFAULT_IDEMPOTENCY_WINDOW,
    ConflictError,
    ConversationKey,
    DuplicateError,
    HistoryEntry,
    HistoryPage,
)
from bot.store.hot import (
    CLAIM_EVENT,
    DELETE_RECORD,
    GET_RECORDS,
    INSERT_CONVERSATION,
    INSERT_HISTORY,
    LOAD,
    PUT_RECORD,
    UPDATE_CONVERSATION,
    SqliteRunner,
    Step,
    for_psycopg,
    history_params,
)

if TYPE_CHECKING:
    from bot.store.sql_reviews import SqlReviewStore

# Any constant works: it only has to be the same for every replica running setup().
MIGRATION_LOCK_ID = 0x05C_0001
SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL_WAIT_SECONDS = 30  # SQLAlchemy's default wait for a pooled connection in a burst
PURGE_EVERY = 1000  # first_time() calls between two sweeps of expired event ids
_ROWCOUNT = {"preserve_rowcount": True}  # psycopg closes an INSERT's cursor before it is read


class _Aborted(Exception):  # noqa: N818  (not an error: a transaction's step did not count)
    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite, which stores no offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Normalise to UTC so SQLite's text timestamps compare in the right order."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Attach UTC to SQLite's naive results; convert PostgreSQL's to UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonColumn = JSON().with_variant(postgresql.JSONB(), "postgresql")

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", UtcDateTime, nullable=False),
)

conversations = Table(
    "conversations", metadata,
    Column("key", String(512), primary_key=True),
    Column("platform", String(64), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("data", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("conversations_expires_at", "expires_at"),
    Index("conversations_user", "user_id", "platform"),
)

events = Table(
    "events", metadata,
    Column("key", String(512), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("events_expires_at", "expires_at"),
)

history = Table(
    "history", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("platform", String(64), nullable=False),
    Column("workspace", String(255), nullable=False),
    Column("channel", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("user_name", String(255)),
    Column("completed_at", UtcDateTime, nullable=False),
    Column("flow", String(64), nullable=False),
    Column("flow_version", Integer, nullable=False),
    Column("path", String(64), nullable=False),
    Column("governance", String(64), nullable=False),
    Column("answers", JsonColumn, nullable=False),
    Column("recommendation", JsonColumn, nullable=False),
    # conversation id:version of the finished check: writing its entry twice keeps one row
    Column("check_key", String(80)),
    Index("history_workspace_completed", "workspace", "completed_at"),
    Index("history_user_completed", "user_id", "completed_at"),
    Index("history_completed", "completed_at"),
)

records = Table(
    "records", metadata,
    Column("kind", String(64), primary_key=True),
    Column("scope", String(255), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
)


def _create_v1(connection: Connection) -> None:
    metadata.create_all(connection, tables=[conversations, events, history, records])


def _add_check_key(connection: Connection) -> None:
    # v1 databases created before the column existed get it; newer ones have it from v1.
    columns = {c["name"] for c in sa_inspect(connection).get_columns("history")}
    if "check_key" not in columns:
        connection.execute(text("ALTER TABLE history ADD COLUMN check_key VARCHAR(80)"))
    connection.execute(text(
        "CREATE UNIQUE INDEX IF NOT EXISTS history_check_key ON history (check_key)"))


def _reviews_v3(connection: Connection) -> None:
    from bot.store.sql_reviews import create_review_tables  # noqa: PLC0415  (imports this module)

    create_review_tables(connection)


# Append only: each entry migrates the schema from version N to N+1 and is never edited once
# released. The version applied is recorded in `schema_version`.
MIGRATIONS: Sequence[Callable[[Connection], None]] = (_create_v1, _add_check_key, _reviews_v3)
SCHEMA_VERSION = len(MIGRATIONS)


def engine_url(database_url: str) -> URL:
    """The SQLAlchemy async URL for a DATABASE_URL (sqlite:///path or postgresql://...)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    raise ValueError(f"DATABASE_URL must start with sqlite:/// or postgresql:// "
                     f"(got a '{url.drivername}' URL)")


def _conversation_row(key: ConversationKey, conversation: Conversation, now: datetime,
                      ttl: timedelta) -> dict[str, Any]:
    return {"key": str(key), "platform": key.platform, "user_id": key.user,
            "data": conversation.to_json(), "version": conversation.version,
            "updated_at": now, "expires_at": now + ttl}


def _history_row(entry: HistoryEntry, check_key: str | None = None) -> dict[str, Any]:
    row = entry.model_dump(mode="json", exclude={"completed_at", "check_id"})
    rec = entry.recommendation
    return {**row, "completed_at": entry.completed_at, "path": rec.path.value,
            "governance": rec.governance.value, "check_key": check_key}


OLD_CHECK = "h"  # checks recorded without a key are named by their row: h<id>


def check_key(conversation: Conversation) -> str:
    """What identifies a finished check in the history: its conversation id and version."""
    return f"{conversation.id}:{conversation.version}"


def _history_entry(row: Any) -> HistoryEntry:
    return HistoryEntry(
        platform=row.platform, workspace=row.workspace, channel=row.channel,
        user_id=row.user_id, user_name=row.user_name, completed_at=row.completed_at,
        flow=row.flow, flow_version=row.flow_version, answers=row.answers,
        recommendation=Recommendation.model_validate(row.recommendation),
        check_id=row.check_key or f"{OLD_CHECK}{row.id}")


class SqlStore:
    """The Store port on SQLite or PostgreSQL; also the history for `RedisConversationStore`."""

    def __init__(self, database_url: str, *, ttl: timedelta = DEFAULT_CONVERSATION_TTL,
                 window: timedelta = DEFAULT_IDEMPOTENCY_WINDOW, timeout: float | None = 5,
                 **engine_options: Any) -> None:
        url = engine_url(database_url)
        self.ttl, self.window = ttl, window
        self.dialect = url.get_backend_name()
        # SQLite is a local file with its own busy timeout; a server can hang on the network.
        self.timeout = timeout if self.dialect == "postgresql" else None
        if self.dialect == "sqlite" and url.database not in (None, "", ":memory:"):
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        if self.timeout is not None:
            options = url.query.get("options", "")  # e.g. a search_path: kept, not replaced
            url = url.difference_update_query(["options"])
            engine_options = {**_postgresql_timeouts(self.timeout, str(options)),
                              **engine_options}
        self.engine: AsyncEngine = create_async_engine(url, **engine_options)
        # The turn's statements skip SQLAlchemy (see bot/store/hot.py): on a SQLite file, on a
        # connection and thread of their own; an in-memory database has to share the engine's.
        self._lite: SqliteRunner | None = None
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            if url.database not in (None, "", ":memory:"):
                self._lite = SqliteRunner(
                    str(Path(url.database).expanduser()),
                    lambda connection: _sqlite_pragmas(connection, None))
        self._first_time_calls = 0

    @cached_property
    def reviews(self) -> SqlReviewStore:
        """OSPO reviews, in the same database as the history they are about."""
        from bot.store.sql_reviews import SqlReviewStore  # noqa: PLC0415  (imports this module)

        return SqlReviewStore(self)

    # --- lifecycle ------------------------------------------------------------------------

    async def setup(self) -> None:
        """Apply the migrations not yet recorded, holding a lock other replicas wait on."""
        async with self.engine.connect() as connection:
            if self.dialect == "sqlite":
                await self._migrate_sqlite(connection)
            else:
                await self._migrate_postgresql(connection)

    async def _migrate_postgresql(self, connection: AsyncConnection) -> None:
        async with connection.begin():
            # Held until commit: a second replica waits here, then finds the work done.
            await connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_ID)))
            await connection.run_sync(_migrate)

    async def _migrate_sqlite(self, connection: AsyncConnection) -> None:
        # BEGIN IMMEDIATE takes the write lock up front, so two processes cannot both decide
        # a migration is missing; the driver must not open its own transaction first.
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            await connection.run_sync(_migrate)
        except BaseException:
            await connection.exec_driver_sql("ROLLBACK")
            raise
        await connection.exec_driver_sql("COMMIT")

    async def schema_version(self) -> int:
        """The schema version recorded by the last setup() (0 before any)."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_recorded_version)

    async def close(self) -> None:
        """Release connections."""
        if self._lite is not None:
            await self._lite.close()
        await self.engine.dispose()

    @asynccontextmanager
    async def _connected(self, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection (in a transaction when writing), every step of it on a deadline.

        The server's statement_timeout cannot help when the network itself stops answering,
        so the use of the connection is bounded here too. Waiting for a pooled connection
        during a burst is normal and has its own, longer limit (POOL_WAIT_SECONDS).
        """
        wait = None if self.timeout is None else POOL_WAIT_SECONDS + self.timeout
        try:
            async with asyncio.timeout(wait):
                connection = await self.engine.connect().start()
            try:
                async with asyncio.timeout(self.timeout):
                    if write:
                        async with connection.begin():
                            yield connection
                    else:
                        yield connection
            finally:
                await connection.close()
        except TimeoutError as error:
            raise StoreUnavailableError(
                f"the database did not answer within {self.timeout:g} s") from error

    async def ping(self) -> bool:
        """True when the database answers."""
        try:
            async with self._connected() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001  (any failure means unhealthy; the caller logs)
            return False
        return True

    # --- the hot path: plain SQL straight on the driver (bot/store/hot.py) --------------------

    async def _fetch(self, sql: str, params: Mapping[str, Any]) -> list[Any]:
        if self._lite is not None:
            return await self._lite.fetch(sql, params)
        async with self._connected() as connection:
            result = await connection.exec_driver_sql(for_psycopg(sql), _checked(params))
            return list(result.all())

    async def _transact(self, steps: Sequence[Step]) -> str | None:
        """One write transaction: None when committed, else the `abort` of the step that did
        not count (everything rolled back)."""
        if self._lite is not None:
            return await self._lite.transact(steps)
        try:
            async with self._connected(write=True) as connection:
                for step in steps:
                    await _run_step(connection, step)
        except _Aborted as aborted:
            return aborted.outcome
        return None

    def _claim(self, event_key: str, now: datetime, abort: str) -> Step:
        """Insert the event id, or replace an expired one; counts only when it was not live."""
        return Step(CLAIM_EVENT, {"event": event_key, "event_expires": now + self.window,
                                  "now": now}, abort=abort)

    # --- conversations ----------------------------------------------------------------------

    async def load(self, key: ConversationKey, now: datetime) -> Conversation | None:
        """The live conversation, or None when absent or idle past the TTL."""
        rows = await self._fetch(LOAD, {"key": str(key), "now": now})
        return Conversation.from_json(rows[0][0]) if rows else None

    async def save(self, key: ConversationKey, conversation: Conversation,
                   expected_version: int | None, now: datetime,
                   finished: HistoryEntry | None = None, *, event: str | None = None) -> None:
        """Compare-and-set on the version; ConflictError when another save came first.

        One transaction: the event id (DuplicateError when it is live), the compare-and-set,
        and `finished`, the history entry of a check this save completes, so a crash keeps all
        or none.
        """
        steps = [] if event is None else [self._claim(event, now, "duplicate")]
        row = _conversation_row(key, conversation, now, self.ttl)
        if expected_version is None:
            steps.append(Step(INSERT_CONVERSATION, {**row, "now": now}, abort="conflict"))
        else:
            steps.append(Step(UPDATE_CONVERSATION, {**row, "now": now,
                                                    "expected": expected_version},
                              abort="conflict"))
        if finished is not None:
            steps.append(Step(INSERT_HISTORY[self.dialect],
                              history_params(finished, check_key(conversation))))
        outcome = await self._transact(steps)
        if outcome == "duplicate":
            raise DuplicateError(f"{key}: event {event} was seen already")
        if outcome == "conflict":
            raise ConflictError(f"{key}: the stored version is not {expected_version}")

    async def delete(self, key: ConversationKey) -> None:
        """Forget the conversation."""
        async with self._connected(write=True) as connection:
            await connection.execute(delete(conversations).where(conversations.c.key == str(key)))

    async def first_time(self, event_key: str, now: datetime) -> bool:
        """Insert the event id, or replace an expired one; False when a live one exists."""
        inserted = await self._transact([self._claim(event_key, now, "seen")]) is None
        self._first_time_calls += 1
        if self._first_time_calls % PURGE_EVERY == 0:
            await self.purge_expired(now)
        return inserted

    def _insert(self, table: Table) -> Any:
        # SQLAlchemy's dialect-specific INSERT constructs know each ON CONFLICT spelling.
        module = postgresql if self.dialect == "postgresql" else sqlite
        # rowcount of an INSERT is only kept when asked for (psycopg closes the cursor first).
        return module.insert(table).execution_options(preserve_rowcount=True)

    # --- history ----------------------------------------------------------------------------

    async def record_history(self, entry: HistoryEntry, key: str | None = None) -> bool:
        """Append a completed check; with `key` (see check_key), only once: False if it was
        already there."""
        async with self._connected(write=True) as connection:
            return await self._insert_history(connection, entry, key)

    async def _insert_history(self, connection: AsyncConnection, entry: HistoryEntry,
                              key: str | None) -> bool:
        key = key or entry.check_id  # an entry that names its check is kept once per check
        statement = self._insert(history).values(_history_row(entry, key))
        if key is not None:
            statement = statement.on_conflict_do_nothing(index_elements=[history.c.check_key])
        return bool((await connection.execute(statement)).rowcount == 1)

    async def forget_history(self, key: str) -> None:
        """Remove the entry written under `key` (a check whose save then lost its race)."""
        async with self._connected(write=True) as connection:
            await connection.execute(delete(history).where(history.c.check_key == key))

    async def history(self, *, user_id: str | None = None, workspace: str | None = None,
                      platform: str | None = None, limit: int = 20,
                      offset: int = 0) -> HistoryPage:
        """Completed checks, newest first, filtered and paginated."""
        filters = [column == value for column, value in (
            (history.c.user_id, user_id), (history.c.workspace, workspace),
            (history.c.platform, platform)) if value is not None]
        query = (select(history).where(*filters)
                 .order_by(history.c.completed_at.desc(), history.c.id.desc())
                 .limit(limit + 1).offset(offset))
        async with self._connected() as connection:
            rows = (await connection.execute(query)).all()
        more = len(rows) > limit
        return HistoryPage(entries=[_history_entry(row) for row in rows[:limit]],
                           next_offset=offset + limit if more else None)

    # --- platform records -------------------------------------------------------------------

    async def put_record(self, kind: str, scope: str, key: str, value: str) -> None:
        """Keep a record, replacing any with the same kind, scope and key."""
        await self.put_records(kind, scope, {key: value})

    async def put_records(self, kind: str, scope: str, values: Mapping[str, str]) -> None:
        """Keep several records of one kind and scope, in one transaction."""
        if values:
            await self._transact([Step(PUT_RECORD, {"kind": kind, "scope": scope, "key": key,
                                                    "value": value})
                                  for key, value in values.items()])

    async def get_records(self, kind: str, scope: str) -> dict[str, str]:
        """Every record of `kind` in `scope`, by key."""
        rows = await self._fetch(GET_RECORDS, {"kind": kind, "scope": scope})
        return dict(rows)

    async def delete_record(self, kind: str, scope: str, key: str) -> None:
        """Forget one record."""
        await self._transact([Step(DELETE_RECORD, {"kind": kind, "scope": scope, "key": key})])

    async def swap_record(self, kind: str, scope: str, key: str, expected: str | None,
                          value: str) -> bool:
        """Insert when `expected` is None, else update where the value is `expected`: one
        statement whose row count says whether this writer won."""
        if expected is None:
            statement: Any = self._insert(records).values(
                kind=kind, scope=scope, key=key, value=value).on_conflict_do_nothing()
        else:
            statement = update(records).values(value=value).where(
                records.c.kind == kind, records.c.scope == scope, records.c.key == key,
                records.c.value == expected)
        async with self.engine.begin() as connection:
            return bool((await connection.execute(statement)).rowcount == 1)

    # --- retention --------------------------------------------------------------------------

    async def purge_expired(self, now: datetime) -> int:
        """Delete expired conversations and event ids; how many rows went."""
        async with self._connected(write=True) as connection:
            gone = (await connection.execute(
                delete(conversations).where(conversations.c.expires_at < now))).rowcount
            gone += (await connection.execute(
                delete(events).where(events.c.expires_at <= now))).rowcount
        return gone

    async def purge_history(self, older_than: datetime) -> int:
        """Delete checks completed before `older_than` (retention); how many went."""
        async with self._connected(write=True) as connection:
            result = await connection.execute(
                delete(history).where(history.c.completed_at < older_than))
        return result.rowcount

    async def forget_user(self, user_id: str, platform: str | None = None) -> int:
        """Delete a user's history and conversations (erasure requests); how many rows went."""
        gone = 0
        async with self._connected(write=True) as connection:
            for table in (history, conversations):
                condition = table.c.user_id == user_id
                if platform is not None:
                    condition &= table.c.platform == platform
                gone += (await connection.execute(delete(table).where(condition))).rowcount
        return gone + await self.reviews.forget(user_id, platform)


def _postgresql_timeouts(seconds: float, options: str) -> dict[str, Any]:
    """Connect and statement timeouts, and a ping before reusing a pooled connection (a
    restarted server leaves stale ones behind; the ping replaces them instead of failing)."""
    return {"pool_pre_ping": True, "pool_timeout": POOL_WAIT_SECONDS, "connect_args": {
        "connect_timeout": max(2, round(seconds)),
        "options": f"{options} -c statement_timeout={int(seconds * 1000)}".strip()}}


async def _run_step(connection: AsyncConnection, step: Step) -> None:
    """One statement of a transaction on PostgreSQL; _Aborted when a counted one did not count."""
    result = await connection.exec_driver_sql(for_psycopg(step.sql), _checked(step.params),
                                              execution_options=_ROWCOUNT)
    if step.abort is not None and result.rowcount != 1:
        raise _Aborted(step.abort)


def _checked(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """Parameters for psycopg as they are; a naive datetime is refused, as UtcDateTime does."""
    for value in params.values():
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
    return params


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable across crashes of the process in WAL
    cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (it stays so). The switch needs the file to itself, and SQLite
    may refuse it at once rather than wait when others hold it (`serve --workers` starting on
    a new file), so a refusal is retried for as long as the busy timeout would wait."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while not _switched_to_wal(cursor, retry=time.monotonic() < deadline):
        time.sleep(0.05)


def _switched_to_wal(cursor: Any, *, retry: bool) -> bool:
    """True once the file is in WAL; False when it is locked and `retry` allows a new try."""
    try:
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode = WAL")
    except Exception as error:  # the driver's OperationalError, whichever adapter wraps it
        if retry and "locked" in str(error):
            return False
        raise
    return True


def _recorded_version(connection: Connection) -> int:
    if not connection.dialect.has_table(connection, schema_version.name):
        return 0
    return int(connection.execute(select(func.max(schema_version.c.version))).scalar() or 0)


def _migrate(connection: Connection) -> None:
    """Create the version table, then run every migration after the recorded version."""
    metadata.create_all(connection, tables=[schema_version])
    current = _recorded_version(connection)
    for number, migration in enumerate(MIGRATIONS[current:], start=current + 1):
        migration(connection)
        connection.execute(schema_version.insert().values(
            version=number, applied_at=datetime.now(UTC)))
