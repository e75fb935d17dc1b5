"""The review rules (pure) and the decision record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.reviews import (
    EventKind,
    ReviewRefusedError,
    ReviewState,
    add_months,
    chase,
    decide,
    open_review,
    re_request,
    rereview,
)
from bot.records import decision_record
from bot.store.base import HistoryEntry
from tests.conftest import NOW

FORK = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
           "differentiator": "no", "obligations": ["none"], "ownership": "yes", "entities": "one"}


def pending():
    return open_review("r1", "c1.3", platform="slack", workspace="T1", requester="U1",
                       requester_name="Anna", name="  payments-sdk  ", rereview_months=6,
                       now=NOW)


def test_a_new_review_is_pending_with_the_name_trimmed_and_a_requested_event():
    review, event = pending()
    assert (review.state, review.name, review.version) == (ReviewState.PENDING, "payments-sdk", 1)
    assert (event.kind, event.check_id, event.actor) == (EventKind.REQUESTED, "c1.3", "U1")


@pytest.mark.parametrize("decision", [ReviewState.APPROVED, ReviewState.CHANGES_REQUESTED,
                                      ReviewState.DECLINED])
def test_each_decision_moves_a_pending_review_once(decision):
    review, _ = pending()
    decided, event = decide(review, decision, reviewer="UR1", reviewer_name="Oskar",
                            comment="ok", now=NOW, )
    assert decided.state is decision and decided.version == 2
    assert event.kind.value == decision.value and event.comment == "ok"
    with pytest.raises(ReviewRefusedError, match="already decided"):
        decide(decided, ReviewState.APPROVED, reviewer="UR2", reviewer_name=None, comment="",
               now=NOW)


def test_only_an_approval_sets_the_re_review_date_from_the_checks_months():
    review, _ = pending()
    approved, _ = decide(review, ReviewState.APPROVED, reviewer="UR1", reviewer_name=None,
                         comment="", now=NOW)
    declined, _ = decide(review, ReviewState.DECLINED, reviewer="UR1", reviewer_name=None,
                         comment="", now=NOW)
    assert approved.rereview_due == datetime(2026, 7, 1, tzinfo=UTC)
    assert declined.rereview_due is None


def test_pending_is_not_a_decision():
    with pytest.raises(ValueError, match="not a decision"):
        decide(pending()[0], ReviewState.PENDING, reviewer="UR1", reviewer_name=None,
               comment="", now=NOW)


def test_only_the_requester_re_requests_and_only_after_changes_were_requested():
    review, _ = pending()
    with pytest.raises(ReviewRefusedError, match="cannot be re-requested"):
        re_request(review, "c2.1", requester="U1", now=NOW, rereview_months=6)
    changes, _ = decide(review, ReviewState.CHANGES_REQUESTED, reviewer="UR1",
                        reviewer_name=None, comment="split it", now=NOW)
    with pytest.raises(ReviewRefusedError, match="Only the person who requested"):
        re_request(changes, "c2.1", requester="U9", now=NOW, rereview_months=6)
    again, event = re_request(changes, "c2.1", requester="U1", now=NOW + timedelta(days=1),
                              rereview_months=3)
    assert (again.state, again.check_id, again.comment, again.rereview_months) == (
        ReviewState.PENDING, "c2.1", "", 3)
    assert event.kind is EventKind.RE_REQUESTED and event.check_id == "c2.1"


def test_a_waiting_review_is_chased_after_the_limit_and_not_again_the_same_day():
    review, _ = pending()
    assert chase(review, now=NOW + timedelta(days=4), after_days=5) is None
    chased, event = chase(review, now=NOW + timedelta(days=5), after_days=5)
    assert event.kind is EventKind.REMINDED and "5 days" in event.comment
    assert chase(chased, now=NOW + timedelta(days=5, hours=12), after_days=5) is None
    assert chase(chased, now=NOW + timedelta(days=6), after_days=5) is not None


def test_a_re_review_reminder_is_due_once_on_or_before_its_date():
    review, _ = pending()
    approved, _ = decide(review, ReviewState.APPROVED, reviewer="UR1", reviewer_name=None,
                         comment="", now=NOW)
    assert rereview(review, now=NOW + timedelta(days=400)) is None
    assert rereview(approved, now=NOW + timedelta(days=100)) is None
    assert rereview(approved, now=NOW + timedelta(days=100), ahead=timedelta(days=119))
    sent, _ = rereview(approved, now=NOW + timedelta(days=200))
    assert rereview(sent, now=NOW + timedelta(days=300)) is None


@pytest.mark.parametrize(("start", "months", "end"), [
    (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
    (datetime(2027, 11, 30, tzinfo=UTC), 3, datetime(2028, 2, 29, tzinfo=UTC)),
    (datetime(2026, 6, 15, tzinfo=UTC), 12, datetime(2027, 6, 15, tzinfo=UTC)),
])
def test_months_are_added_on_the_calendar(start, months, end):
    assert add_months(start, months) == end


def test_the_decision_record_reads_as_an_architecture_decision_record(engine):
    _, rec = engine.assess(FORK)
    entry = HistoryEntry(platform="slack", workspace="T1", channel="D1", user_id="U1",
                         user_name="Anna", completed_at=NOW, flow="opensource_check",
                         flow_version=1, answers=FORK, recommendation=rec, check_id="c1.3")
    review, requested = pending()
    approved, decision = decide(review, ReviewState.APPROVED, reviewer="UR1",
                                reviewer_name="Oskar", comment="Fine by legal", now=NOW)
    record = decision_record(entry, approved, [requested, decision], engine.flow)
    sections = [line for line in record.splitlines() if line.startswith("## ")]
    assert sections == ["## Context", "## Decision", "## Consequences", "## Approvals"]
    assert record.startswith("# Open source decision: payments-sdk\n")
    assert "- Status: Approved" in record and "due 2026-07-01" in record
    prompt = engine.flow.by_id["upstream"].prompt
    label = engine.flow.by_id["upstream"].option("fork").label
    assert f"- {prompt} **{label}**" in record
    assert "**Contribute upstream** under **Upstream's own governance**" in record
    assert "Approved by Oskar: \u201cFine by legal\u201d" in record
    unreviewed = decision_record(entry, None, [], engine.flow)
    assert "- Status: Not reviewed" in unreviewed
    assert "No OSPO review was requested." in unreviewed
