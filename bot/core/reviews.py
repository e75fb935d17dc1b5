"""OSPO reviews: the states a review goes through and the events that move it, as pure rules.

A review belongs to a completed check (its `check_id`) and, after changes were requested, to the
check run again in its place. Every step is an append-only `ReviewEvent`; the review itself is
the current state, saved with compare-and-set on `version` so a decision is recorded once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ReviewState(StrEnum):
    """Where a review stands."""

    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    DECLINED = "declined"


class EventKind(StrEnum):
    """What happened to a review."""

    REQUESTED = "requested"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    DECLINED = "declined"
    RE_REQUESTED = "re_requested"
    REMINDED = "reminded"


DECISIONS: dict[ReviewState, EventKind] = {
    ReviewState.APPROVED: EventKind.APPROVED,
    ReviewState.CHANGES_REQUESTED: EventKind.CHANGES_REQUESTED,
    ReviewState.DECLINED: EventKind.DECLINED,
}
STATE_TITLES: dict[ReviewState, str] = {
    ReviewState.PENDING: "Waiting for review",
    ReviewState.APPROVED: "Approved",
    ReviewState.CHANGES_REQUESTED: "Changes requested",
    ReviewState.DECLINED: "Declined",
}
MAX_COMMENT = 2000
MAX_NAME = 200


class ReviewEvent(BaseModel):
    """One step in a review's audit trail: never changed once written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review_id: str
    kind: EventKind
    actor: str  # a platform user id, or "system" for reminders
    actor_name: str | None = None
    at: datetime
    comment: str = ""
    check_id: str | None = None  # set on requested and re_requested


class Review(BaseModel):
    """A request for an OSPO decision on one check, as it stands now."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    check_id: str
    platform: str
    workspace: str
    requester: str
    requester_name: str | None = None
    name: str = Field(max_length=MAX_NAME)  # the code's short name or repository URL
    state: ReviewState = ReviewState.PENDING
    requested_at: datetime
    updated_at: datetime
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    comment: str = ""
    chased_at: datetime | None = None
    rereview_months: int = 12  # from the check's advice (and the policy)
    rereview_due: datetime | None = None
    rereview_sent_at: datetime | None = None
    version: int = 1


class ReviewRefusedError(Exception):
    """A step that the review's state does not allow; the message is for the person who tried."""

    def __init__(self, message: str, review: Review | None = None) -> None:
        super().__init__(message)
        self.review = review


def open_review(review_id: str, check_id: str, *, platform: str, workspace: str,
                requester: str, requester_name: str | None, name: str, rereview_months: int,
                now: datetime) -> tuple[Review, ReviewEvent]:
    """A new pending review of a check, and its `requested` event."""
    review = Review(id=review_id, check_id=check_id, platform=platform, workspace=workspace,
                    requester=requester, requester_name=requester_name,
                    name=name.strip()[:MAX_NAME], rereview_months=rereview_months,
                    requested_at=now, updated_at=now)
    event = ReviewEvent(review_id=review_id, kind=EventKind.REQUESTED, actor=requester,
                        actor_name=requester_name, at=now, check_id=check_id)
    return review, event


def decide(review: Review, decision: ReviewState, *, reviewer: str, reviewer_name: str | None,
           comment: str, now: datetime) -> tuple[Review, ReviewEvent]:
    """A pending review decided; ReviewRefusedError when it was decided already.

    An approval sets the date the decision is checked again (`rereview_months` later)."""
    if decision not in DECISIONS:
        raise ValueError(f"not a decision: {decision}")
    if review.state is not ReviewState.PENDING:
        who = review.decided_by_name or review.decided_by or "a reviewer"
        raise ReviewRefusedError(f"This review was already decided: "
                                 f"{STATE_TITLES[review.state]} by {who}. Nothing changed.",
                                 review)
    comment = comment.strip()[:MAX_COMMENT]
    due = add_months(now, review.rereview_months) if decision is ReviewState.APPROVED else None
    decided = _evolve(review, now, state=decision, decided_by=reviewer,
                      decided_by_name=reviewer_name, decided_at=now, comment=comment,
                      rereview_due=due)
    event = ReviewEvent(review_id=review.id, kind=DECISIONS[decision], actor=reviewer,
                        actor_name=reviewer_name, at=now, comment=comment)
    return decided, event


def re_request(review: Review, check_id: str, *, requester: str, now: datetime,
               rereview_months: int) -> tuple[Review, ReviewEvent]:
    """The requester's new check, after changes were requested, puts the review back in the
    queue; ReviewRefusedError for anyone else or in another state."""
    if requester != review.requester:
        raise ReviewRefusedError("Only the person who requested this review can re-request "
                                 "it.", review)
    if review.state is not ReviewState.CHANGES_REQUESTED:
        raise ReviewRefusedError(f"This review is {STATE_TITLES[review.state].lower()}, so it "
                                 "cannot be re-requested. Nothing changed.", review)
    renewed = _evolve(review, now, state=ReviewState.PENDING, check_id=check_id,
                      decided_by=None, decided_by_name=None, decided_at=None, comment="",
                      requested_at=now, chased_at=None, rereview_months=rereview_months)
    event = ReviewEvent(review_id=review.id, kind=EventKind.RE_REQUESTED, actor=requester,
                        actor_name=review.requester_name, at=now, check_id=check_id)
    return renewed, event


def chase(review: Review, *, now: datetime, after_days: int) -> tuple[Review, ReviewEvent] | None:
    """A pending review waiting longer than `after_days`, not chased in the last day, marked as
    chased; None when it needs no chasing."""
    waited = (now - review.requested_at).days
    recently = review.chased_at is not None and (now - review.chased_at).total_seconds() < 20 * 3600
    if review.state is not ReviewState.PENDING or waited < after_days or recently:
        return None
    event = ReviewEvent(review_id=review.id, kind=EventKind.REMINDED, actor="system", at=now,
                        comment=f"Waiting for {waited} days; chased in the review channel.")
    return _evolve(review, now, chased_at=now), event


def rereview(review: Review, *, now: datetime, ahead: timedelta = timedelta(0)
             ) -> tuple[Review, ReviewEvent] | None:
    """An approved review whose re-review date is at most `ahead` away (Slack schedules the
    reminder itself, up to 120 days ahead), marked as reminded; else None."""
    if (review.state is not ReviewState.APPROVED or review.rereview_due is None
            or review.rereview_due > now + ahead or review.rereview_sent_at is not None):
        return None
    event = ReviewEvent(review_id=review.id, kind=EventKind.REMINDED, actor="system", at=now,
                        comment=f"Re-review due {review.rereview_due:%Y-%m-%d}; the requester "
                        "is reminded.")
    return _evolve(review, now, rereview_sent_at=now), event


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    days = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
            31, 31, 30, 31, 30, 31][month - 1]
    return moment.replace(year=year, month=month, day=min(moment.day, days))


def _evolve(review: Review, now: datetime, **changes: object) -> Review:
    return review.model_copy(update={**changes, "updated_at": now,
                                     "version": review.version + 1})
