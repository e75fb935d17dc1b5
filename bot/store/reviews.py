"""The review port: OSPO reviews and their append-only event trail, kept beside the history.

Every change is a compare-and-set on the review's version that appends its event in the same
transaction, so two clicks, a replayed request or two replicas never record a decision twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.core.reviews import Review, ReviewEvent, ReviewState
from bot.store.base import HistoryEntry


class ReviewStore(Protocol):
    """Reviews, their events, and the checks they are about."""

    async def create(self, review: Review, event: ReviewEvent) -> Review:
        """Store a new review and its `requested` event; when the check already has a review,
        return that one instead and store nothing."""

    async def update(self, review: Review, expected_version: int, event: ReviewEvent) -> bool:
        """Compare-and-set: store `review` and append `event` if the stored version is
        `expected_version`; False (and nothing written) when another change came first."""

    async def get(self, review_id: str) -> Review | None:
        """The review, or None."""

    async def events(self, review_id: str) -> list[ReviewEvent]:
        """The review's events, oldest first."""

    async def find(self, *, state: ReviewState | None = None, requester: str | None = None,
                   workspace: str | None = None, platform: str | None = None,
                   limit: int | None = None) -> list[Review]:
        """Reviews, newest request first, filtered."""

    async def for_checks(self, check_ids: Sequence[str]) -> dict[str, Review]:
        """The review each of these checks was requested or re-requested in, by check id."""

    async def check(self, check_id: str) -> HistoryEntry | None:
        """The completed check with this id, from the history."""

    async def forget(self, user_id: str, platform: str | None = None) -> int:
        """Delete the reviews a user requested, with their events; how many reviews went."""
