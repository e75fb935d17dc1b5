"""Reviews on SQL (SQLite and PostgreSQL), in the same database as the history they are about.

A review row holds the current state as JSON beside the columns reports filter on; every change
is `UPDATE ... WHERE id = :id AND version = :expected` plus an INSERT into `review_events`, in one
transaction, so exactly one of several racing deciders sees a row count of 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)

from bot.core.reviews import EventKind, Review, ReviewEvent, ReviewState
from bot.store.base import HistoryEntry
from bot.store.sql import OLD_CHECK, UtcDateTime, _history_entry, history, metadata

if TYPE_CHECKING:
    from bot.store.sql import SqlStore

reviews = Table(
    "reviews", metadata,
    Column("id", String(64), primary_key=True),
    Column("check_id", String(64), nullable=False, unique=True),
    Column("platform", String(64), nullable=False),
    Column("workspace", String(255), nullable=False),
    Column("requester", String(255), nullable=False),
    Column("state", String(32), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Index("reviews_state_requested", "state", "requested_at"),
    Index("reviews_requester", "requester"),
)

review_events = Table(
    "review_events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("review_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("check_id", String(64)),
    Column("at", UtcDateTime, nullable=False),
    Column("data", Text, nullable=False),
    Index("review_events_review", "review_id", "id"),
    Index("review_events_check", "check_id"),
)

IN_SLICE = 500
def create_review_tables(connection: Connection) -> None:
    """Schema version 3: reviews and their events, beside the history they are about."""
    metadata.create_all(connection, tables=[reviews, review_events])


def _row(review: Review) -> dict[str, Any]:
    return {"id": review.id, "check_id": review.check_id, "platform": review.platform,
            "workspace": review.workspace, "requester": review.requester,
            "state": review.state.value, "requested_at": review.requested_at,
            "version": review.version, "data": review.model_dump_json()}


def _event_row(event: ReviewEvent) -> dict[str, Any]:
    return {"review_id": event.review_id, "kind": event.kind.value, "check_id": event.check_id,
            "at": event.at, "data": event.model_dump_json()}


class SqlReviewStore:
    """The ReviewStore port on the SqlStore's engine."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    async def create(self, review: Review, event: ReviewEvent) -> Review:
        """Insert unless the check has a review already; the stored review either way."""
        statement = self._store._insert(reviews).values(_row(review)).on_conflict_do_nothing()
        async with self._store._connected(write=True) as connection:
            if (await connection.execute(statement)).rowcount == 1:
                await connection.execute(review_events.insert().values(_event_row(event)))
                return review
            data = (await connection.execute(select(reviews.c.data).where(
                reviews.c.check_id == review.check_id))).scalar_one()
        return Review.model_validate_json(data)

    async def update(self, review: Review, expected_version: int, event: ReviewEvent) -> bool:
        """Compare-and-set on the version, appending the event in the same transaction."""
        row = _row(review)
        statement = update(reviews).values(row).where(
            reviews.c.id == review.id, reviews.c.version == expected_version)
        async with self._store._connected(write=True) as connection:
            if (await connection.execute(statement)).rowcount != 1:
                return False
            await connection.execute(review_events.insert().values(_event_row(event)))
        return True

    async def get(self, review_id: str) -> Review | None:
        """The review, or None."""
        async with self._store._connected() as connection:
            data = (await connection.execute(select(reviews.c.data).where(
                reviews.c.id == review_id))).scalar_one_or_none()
        return None if data is None else Review.model_validate_json(data)

    async def events(self, review_id: str) -> list[ReviewEvent]:
        """The trail, oldest first."""
        query = select(review_events.c.data).where(
            review_events.c.review_id == review_id).order_by(review_events.c.id)
        async with self._store._connected() as connection:
            rows = (await connection.execute(query)).scalars().all()
        return [ReviewEvent.model_validate_json(data) for data in rows]

    async def find(self, *, state: ReviewState | None = None, requester: str | None = None,
                   workspace: str | None = None, platform: str | None = None,
                   limit: int | None = None) -> list[Review]:
        """Reviews, newest request first."""
        filters = [column == value for column, value in (
            (reviews.c.state, state.value if state else None), (reviews.c.requester, requester),
            (reviews.c.workspace, workspace), (reviews.c.platform, platform))
            if value is not None]
        query = select(reviews.c.data).where(*filters).order_by(
            reviews.c.requested_at.desc(), reviews.c.id).limit(limit)
        async with self._store._connected() as connection:
            rows = (await connection.execute(query)).scalars().all()
        return [Review.model_validate_json(data) for data in rows]

    async def for_checks(self, check_ids: Sequence[str]) -> dict[str, Review]:
        """Each check's review, found through the requested and re-requested events."""
        found: dict[str, Review] = {}
        async with self._store._connected() as connection:
            # In slices: SQLite takes at most 32766 parameters, and exports ask for every check.
            for start in range(0, len(check_ids), IN_SLICE):
                query = select(review_events.c.check_id, reviews.c.data).join(
                    reviews, reviews.c.id == review_events.c.review_id).where(
                    review_events.c.check_id.in_(list(check_ids[start:start + IN_SLICE])),
                    review_events.c.kind.in_([EventKind.REQUESTED.value,
                                              EventKind.RE_REQUESTED.value]))
                rows = (await connection.execute(query)).all()
                found.update({row.check_id: Review.model_validate_json(row.data)
                              for row in rows})
        return found

    async def forget(self, user_id: str, platform: str | None = None) -> int:
        """Delete the reviews a user requested, with their events (erasure requests)."""
        condition = reviews.c.requester == user_id
        if platform is not None:
            condition &= reviews.c.platform == platform
        async with self._store._connected(write=True) as connection:
            ids = (await connection.execute(select(reviews.c.id).where(condition))).scalars().all()
            if not ids:
                return 0
            await connection.execute(delete(review_events).where(
                review_events.c.review_id.in_(ids)))
            return int((await connection.execute(delete(reviews).where(
                reviews.c.id.in_(ids)))).rowcount)

    async def check(self, check_id: str) -> HistoryEntry | None:
        """The completed check with this id."""
        condition = history.c.check_key == check_id
        number = check_id.removeprefix(OLD_CHECK)
        if check_id.startswith(OLD_CHECK) and number.isdigit():  # recorded without a key
            condition = (history.c.id == int(number)) & history.c.check_key.is_(None)
        async with self._store._connected() as connection:
            row = (await connection.execute(select(history).where(condition))).first()
        return None if row is None else _history_entry(row)
