"""The store port: everything the advisor and the platform edges need to persist.

Implementations: `SqlStore` (SQLite and PostgreSQL through SQLAlchemy's async engine) and
`RedisConversationStore` (conversation state and idempotency keys in Redis, history in SQL).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.core.conversation import Conversation
from bot.core.outcomes import AnswerValue, Recommendation

if TYPE_CHECKING:
    from bot.store.reviews import ReviewStore

DEFAULT_CONVERSATION_TTL = timedelta(days=7)
DEFAULT_IDEMPOTENCY_WINDOW = timedelta(hours=1)


class ConflictError(Exception):
    """A save lost a compare-and-set race: someone saved another version first."""


class DuplicateError(Exception):
    """A save claimed an event id already seen within the idempotency window: a retried
    delivery, so nothing was saved."""


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Whose conversation: one per (platform, workspace or tenant, conversation, user)."""

    platform: str
    workspace: str
    conversation: str
    user: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.conversation}:{self.user}"


class HistoryEntry(BaseModel):
    """One completed check, as an OSPO reports on it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: str
    workspace: str
    channel: str
    user_id: str
    user_name: str | None = None
    completed_at: datetime
    flow: str
    flow_version: int
    answers: dict[str, AnswerValue]  # a list of option ids for a question that takes several
    recommendation: Recommendation
    check_id: str | None = Field(None, max_length=80)
    """The check's stable id (see `check_id()`): reviews and decision records name it. The
    history is kept once per id; entries stored without one are named by the store."""


def check_id(conversation: Conversation) -> str:
    """The stable id of the check a finished conversation completed: its id and version."""
    return f"{conversation.id}:{conversation.version}"


class HistoryPage(BaseModel):
    """A page of history, newest first; pass `next_offset` back for the next page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: list[HistoryEntry]
    next_offset: int | None = None


class Store(Protocol):
    """The port. Every method is async; every implementation passes tests/store/."""

    async def setup(self) -> None:
        """Create or migrate tables idempotently; safe when two replicas start at once."""

    @property
    def reviews(self) -> ReviewStore:
        """OSPO reviews and their event trail (in SQL on every setup)."""

    async def close(self) -> None:
        """Release connections."""

    async def ping(self) -> bool:
        """True when the backing services answer (health checks)."""

    async def load(self, key: ConversationKey, now: datetime) -> Conversation | None:
        """The conversation, or None when there is none or it has been idle past the TTL."""

    async def save(self, key: ConversationKey, conversation: Conversation,
                   expected_version: int | None, now: datetime,
                   finished: HistoryEntry | None = None, *, event: str | None = None) -> None:
        """Compare-and-set: store `conversation` if the stored version is `expected_version`
        (None: nothing stored, or only an expired one). Raises ConflictError otherwise.

        `finished` is the history entry of the check this save completes: it is stored with
        the conversation, so no crash keeps one without the other.

        `event` is the delivery's idempotency key, claimed in the same transaction (as
        `first_time` would): when it is already live, nothing is saved and DuplicateError is
        raised. One round trip then both drops a retried delivery and applies a new one."""

    async def delete(self, key: ConversationKey) -> None:
        """Forget the conversation (no error when absent)."""

    async def first_time(self, event_key: str, now: datetime) -> bool:
        """True the first time `event_key` is seen within the idempotency window."""

    async def record_history(self, entry: HistoryEntry, key: str | None = None) -> bool:
        """Append a completed check to the history; with `key`, at most once per key (False
        when an entry with that key is already there)."""

    async def history(self, *, user_id: str | None = None, workspace: str | None = None,
                      platform: str | None = None, limit: int = 20,
                      offset: int = 0) -> HistoryPage:
        """Completed checks, newest first, filtered and paginated."""

    async def purge_history(self, older_than: datetime) -> int:
        """Delete checks completed before `older_than` (retention); how many went."""

    async def forget_user(self, user_id: str, platform: str | None = None) -> int:
        """Delete a user's history and conversations (erasure requests); how many went."""

    async def put_record(self, kind: str, scope: str, key: str, value: str) -> None:
        """Keep a small platform record (e.g. a Teams channel reference), replacing any."""

    async def put_records(self, kind: str, scope: str, values: Mapping[str, str]) -> None:
        """Keep several records of one kind and scope at once, in one transaction."""

    async def get_records(self, kind: str, scope: str) -> dict[str, str]:
        """Every record of `kind` in `scope`, by key."""

    async def delete_record(self, kind: str, scope: str, key: str) -> None:
        """Forget one record (no error when absent)."""

    async def swap_record(self, kind: str, scope: str, key: str, expected: str | None,
                          value: str) -> bool:
        """Compare-and-set: store `value` if the record is `expected` (None: absent); True when
        it did. Racing writers of one record (e.g. replicas saving a rotated token) never lose
        each other's writes unseen."""
