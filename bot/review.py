"""The second use case beside the advisor: request an OSPO review of a check, decide it, chase it.

The rules (who may do what in which state) are pure functions in `bot.core.reviews`; this module
loads, applies and saves them with compare-and-set, re-applying a step that lost a race to the
winner's result, where a second decision is refused politely. Platform edges call it and render
what it returns.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.advisor import utc_now
from bot.core.reviews import (
    Review,
    ReviewEvent,
    ReviewRefusedError,
    ReviewState,
    chase,
    decide,
    open_review,
    re_request,
    rereview,
)
from bot.policy import Policy, needs_review
from bot.store.base import HistoryEntry, Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
ONLY_REVIEWERS = "Only the OSPO reviewers can decide this review; nothing changed."
Step = Callable[[Review], "tuple[Review, ReviewEvent] | None"]


@dataclass(frozen=True, slots=True)
class Person:
    """Who acts: a platform user id and, when known, a display name."""

    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """Everything a decision record shows: the check, its review and the trail."""

    entry: HistoryEntry
    review: Review | None
    events: list[ReviewEvent]


def new_review_id() -> str:
    """A short random id, shown to people and carried by buttons."""
    return "r" + uuid.uuid4().hex[:10]


class ReviewDesk:
    """Runs review steps for any platform against the store, under the company policy."""

    def __init__(self, store: Store, policy: Policy | None, *,
                 clock: Callable[[], datetime] = utc_now,
                 new_id: Callable[[], str] = new_review_id) -> None:
        self.store = store
        self.policy = policy
        self._clock = clock
        self._new_id = new_id

    def now(self) -> datetime:
        """The desk's clock (the edges schedule against the same time the rules use)."""
        return self._clock()

    @property
    def enabled(self) -> bool:
        """Reviews need a policy; without one the product works as it did before."""
        return self.policy is not None

    def needed(self, entry: HistoryEntry) -> bool:
        """Whether the policy asks for a review of this check's outcome."""
        return needs_review(entry.recommendation, self.policy)

    async def request(self, check_id: str, requester: Person, name: str) -> tuple[Review, bool]:
        """Open a review of the requester's own check; the review, and whether it is new (a
        second request for the same check returns the first review)."""
        entry = await self.store.reviews.check(check_id)
        if entry is None:
            raise ReviewRefusedError(f"There is no finished check {check_id}; nothing changed.")
        if entry.user_id != requester.id:
            raise ReviewRefusedError("Only the person who ran this check can request its review.")
        if not name.strip():
            raise ReviewRefusedError("Give the code a short name or its repository URL, so the "
                                     "reviewers know what they decide on.")
        review, event = open_review(
            self._new_id(), check_id, platform=entry.platform, workspace=entry.workspace,
            requester=requester.id, requester_name=requester.name or entry.user_name, name=name,
            rereview_months=entry.recommendation.review_in_months, now=self._clock())
        stored = await self.store.reviews.create(review, event)
        return stored, stored.id == review.id

    async def decide(self, review_id: str, decision: ReviewState, reviewer: Person, comment: str,
                     *, may_decide: bool) -> Review:
        """Record a reviewer's decision once; ReviewRefusedError for anyone else, or when the
        review was decided already (by a double click, a replay or another replica)."""
        if not may_decide:
            raise ReviewRefusedError(ONLY_REVIEWERS)

        return await self._apply(review_id, lambda review: decide(
            review, decision, reviewer=reviewer.id, reviewer_name=reviewer.name,
            comment=comment, now=self._clock()))

    async def re_request(self, review_id: str, check_id: str, requester: Person) -> Review:
        """Link the requester's new check to the review and put it back in the queue."""
        entry = await self.store.reviews.check(check_id)
        if entry is None or entry.user_id != requester.id:
            raise ReviewRefusedError("Only a finished check of the requester's own can be linked "
                                     "to the review; nothing changed.")
        months = entry.recommendation.review_in_months
        return await self._apply(review_id, lambda review: re_request(
            review, check_id, requester=requester.id, now=self._clock(), rereview_months=months))

    async def chase_due(self, platform: str) -> list[Review]:
        """A platform's pending reviews waiting past the policy's limit, each marked once a
        day; the caller posts the reminder for each one returned."""
        if self.policy is None:
            return []
        after = self.policy.review.chase_after_days
        return await self._sweep(ReviewState.PENDING, lambda review: chase(
            review, now=self._clock(), after_days=after) if review.platform == platform
            else None)

    async def rereviews_due(self, platform: str, ahead: timedelta = timedelta(0)) -> list[Review]:
        """Approved reviews whose re-review date is at most `ahead` away, each returned once."""
        return await self._sweep(ReviewState.APPROVED, lambda review: rereview(
            review, now=self._clock(), ahead=ahead) if review.platform == platform else None)

    async def record(self, check_id: str) -> DecisionRecord | None:
        """The check, its review and the review's trail; None for an unknown check."""
        entry = await self.store.reviews.check(check_id)
        if entry is None:
            return None
        review = (await self.store.reviews.for_checks([check_id])).get(check_id)
        events = await self.store.reviews.events(review.id) if review else []
        return DecisionRecord(entry, review, events)

    # --- compare-and-set --------------------------------------------------------------------

    async def _apply(self, review_id: str, step: Step) -> Review:
        for _ in range(MAX_ATTEMPTS):
            review = await self.store.reviews.get(review_id)
            if review is None:
                raise ReviewRefusedError("That review no longer exists; nothing changed.")
            changed = step(review)
            if changed is None:
                return review
            updated, event = changed
            if await self.store.reviews.update(updated, review.version, event):
                return updated
        raise ReviewRefusedError("Too many changes to this review at once; please try again.")

    async def _sweep(self, state: ReviewState, step: Step) -> list[Review]:
        due = []
        for review in await self.store.reviews.find(state=state):
            changed = step(review)
            # Losing the race means another replica took this one: it sends the reminder.
            if changed is not None and await self.store.reviews.update(
                    changed[0], review.version, changed[1]):
                due.append(changed[0])
        return due
