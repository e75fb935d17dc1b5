"""The review port's contract on every real backend: exactly-once decisions, the trail, reports."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core.reviews import EventKind, ReviewRefusedError, ReviewState
from bot.review import Person, ReviewDesk
from bot.store.base import HistoryEntry, Store
from tests.conftest import NOW
from tests.store.conftest import Backend

ANSWERS = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
           "differentiator": "no", "obligations": ["none"], "ownership": "yes", "entities": "one"}
ANNA, OSKAR, OLGA = Person("U1", "Anna"), Person("UR1", "Oskar"), Person("UR2", "Olga")


def entry(engine, check_id: str, user: str = "U1", minutes: int = 0) -> HistoryEntry:
    _, recommendation = engine.assess(ANSWERS)
    return HistoryEntry(platform="slack", workspace="T1", channel="D1", user_id=user,
                        user_name="Anna", completed_at=NOW + timedelta(minutes=minutes),
                        flow="opensource_check", flow_version=1, answers=ANSWERS,
                        recommendation=recommendation, check_id=check_id)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


def desk_on(store: Store, clock: Clock | None = None, ids: str = "r1") -> ReviewDesk:
    return ReviewDesk(store, None, clock=clock or Clock(), new_id=lambda: ids)


async def test_a_requested_review_is_stored_with_its_requested_event(store, engine):
    await store.record_history(entry(engine, "c1.5"))
    review, created = await desk_on(store).request("c1.5", ANNA, "payments-sdk")
    assert created and await store.reviews.get("r1") == review
    assert review.state is ReviewState.PENDING and review.name == "payments-sdk"
    [event] = await store.reviews.events("r1")
    assert (event.kind, event.actor, event.check_id) == (EventKind.REQUESTED, "U1", "c1.5")


async def test_requesting_twice_for_one_check_keeps_the_first_review(store, engine):
    await store.record_history(entry(engine, "c1.5"))
    first, _ = await desk_on(store, ids="r1").request("c1.5", ANNA, "payments-sdk")
    again, created = await desk_on(store, ids="r2").request("c1.5", ANNA, "another name")
    assert again == first and not created and await store.reviews.get("r2") is None
    assert len(await store.reviews.events("r1")) == 1


async def test_only_the_person_who_ran_a_check_can_request_its_review(store, engine):
    await store.record_history(entry(engine, "c1.5"))
    with pytest.raises(ReviewRefusedError, match="Only the person who ran"):
        await desk_on(store).request("c1.5", OSKAR, "payments-sdk")
    with pytest.raises(ReviewRefusedError, match="no finished check"):
        await desk_on(store).request("nope", ANNA, "payments-sdk")
    assert await store.reviews.find() == []


async def test_a_decision_is_recorded_once_and_a_second_one_is_refused_politely(store, engine):
    await store.record_history(entry(engine, "c1.5"))
    desk = desk_on(store)
    await desk.request("c1.5", ANNA, "payments-sdk")
    approved = await desk.decide("r1", ReviewState.APPROVED, OSKAR, " Go ahead ", may_decide=True)
    assert (approved.state, approved.decided_by, approved.comment) == (
        ReviewState.APPROVED, "UR1", "Go ahead")
    with pytest.raises(ReviewRefusedError, match="already decided: Approved by Oskar"):
        await desk.decide("r1", ReviewState.DECLINED, OLGA, "", may_decide=True)
    kinds = [e.kind for e in await store.reviews.events("r1")]
    assert kinds == [EventKind.REQUESTED, EventKind.APPROVED]
    assert (await store.reviews.get("r1")) == approved


async def test_a_non_reviewer_cannot_decide_and_nothing_changes(store, engine):
    await store.record_history(entry(engine, "c1.5"))
    desk = desk_on(store)
    requested, _ = await desk.request("c1.5", ANNA, "payments-sdk")
    with pytest.raises(ReviewRefusedError, match="Only the OSPO reviewers"):
        await desk.decide("r1", ReviewState.APPROVED, ANNA, "", may_decide=False)
    assert await store.reviews.get("r1") == requested
    assert len(await store.reviews.events("r1")) == 1


async def test_two_replicas_deciding_at_once_record_exactly_one_decision(backend: Backend, engine):
    first, second = backend.open(), backend.open()
    await first.setup()
    await second.setup()
    await first.record_history(entry(engine, "c1.5"))
    await desk_on(first).request("c1.5", ANNA, "payments-sdk")
    deciders = [desk_on(store) for store in (first, second) for _ in range(4)]
    outcomes = await asyncio.gather(*(
        desk.decide("r1", ReviewState.APPROVED if n % 2 else ReviewState.DECLINED, OSKAR,
                    f"decision {n}", may_decide=True)
        for n, desk in enumerate(deciders)), return_exceptions=True)
    decided = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, ReviewRefusedError)]
    assert len(decided) == 1 and len(refused) == len(deciders) - 1
    events = await second.reviews.events("r1")
    assert [e.kind for e in events][1:] == [EventKind(decided[0].state.value)]
    assert events[1].comment == decided[0].comment


async def test_changes_requested_then_a_new_check_re_requests_the_same_review(store, engine):
    await store.record_history(entry(engine, "c1.5"))
    desk = desk_on(store)
    await desk.request("c1.5", ANNA, "payments-sdk")
    await desk.decide("r1", ReviewState.CHANGES_REQUESTED, OSKAR, "Split it", may_decide=True)
    await store.record_history(entry(engine, "c2.9", minutes=5))
    with pytest.raises(ReviewRefusedError):
        await desk.re_request("r1", "c2.9", OSKAR)
    renewed = await desk.re_request("r1", "c2.9", ANNA)
    assert (renewed.state, renewed.check_id, renewed.decided_by) == (
        ReviewState.PENDING, "c2.9", None)
    assert [e.kind for e in await store.reviews.events("r1")] == [
        EventKind.REQUESTED, EventKind.CHANGES_REQUESTED, EventKind.RE_REQUESTED]
    linked = await store.reviews.for_checks(["c1.5", "c2.9", "c3"])
    assert set(linked) == {"c1.5", "c2.9"} and linked["c1.5"].id == "r1"


async def test_a_waiting_review_is_chased_once_a_day_whatever_the_number_of_replicas(
        backend: Backend, engine):
    first, second = backend.open(), backend.open()
    await first.setup()
    await second.setup()
    await first.record_history(entry(engine, "c1.5"))
    clock = Clock()
    from bot.policy import Policy  # noqa: PLC0415

    policy = Policy.model_validate({"review": {"chase_after_days": 3}})
    await desk_on(first, clock).request("c1.5", ANNA, "payments-sdk")
    desks = [ReviewDesk(store, policy, clock=clock) for store in (first, second)]
    clock.now = NOW + timedelta(days=2)
    assert await desks[0].chase_due("slack") == []
    clock.now = NOW + timedelta(days=3)
    chased = await asyncio.gather(*(desk.chase_due("slack") for desk in desks))
    assert sorted(len(c) for c in chased) == [0, 1]
    clock.now = NOW + timedelta(days=3, hours=5)
    assert await desks[1].chase_due("slack") == []
    clock.now = NOW + timedelta(days=4)
    assert len(await desks[1].chase_due("slack")) == 1
    kinds = [e.kind for e in await first.reviews.events("r1")]
    assert kinds == [EventKind.REQUESTED, EventKind.REMINDED, EventKind.REMINDED]


async def test_an_approval_is_due_for_re_review_after_the_checks_months_once(store, engine):
    await store.record_history(entry(engine, "c1.5"))
    clock = Clock()
    desk = desk_on(store, clock)
    await desk.request("c1.5", ANNA, "payments-sdk")
    approved = await desk.decide("r1", ReviewState.APPROVED, OSKAR, "", may_decide=True)
    months = entry(engine, "x").recommendation.review_in_months
    assert approved.rereview_due is not None
    assert approved.rereview_due.month == (NOW.month - 1 + months) % 12 + 1
    assert await desk.rereviews_due("slack") == []
    assert [r.id for r in await desk.rereviews_due("slack", ahead=timedelta(days=400))] == ["r1"]
    assert await desk.rereviews_due("slack", ahead=timedelta(days=400)) == []


async def test_reviews_are_listed_newest_first_and_by_state(store, engine):
    clock = Clock()
    for n in range(3):
        await store.record_history(entry(engine, f"c{n}.1", minutes=n))
        clock.now = NOW + timedelta(minutes=n)
        await desk_on(store, clock, ids=f"r{n}").request(f"c{n}.1", ANNA, f"code {n}")
    await desk_on(store, clock).decide("r1", ReviewState.DECLINED, OSKAR, "", may_decide=True)
    assert [r.id for r in await store.reviews.find()] == ["r2", "r1", "r0"]
    assert [r.id for r in await store.reviews.find(state=ReviewState.PENDING)] == ["r2", "r0"]
    assert [r.id for r in await store.reviews.find(requester="U9")] == []


async def test_a_check_recorded_without_a_key_is_named_by_its_row(store, engine):
    await store.record_history(entry(engine, "ignored").model_copy(update={"check_id": None}))
    [old] = (await store.history()).entries
    assert old.check_id is not None and old.check_id.startswith("h")
    assert await store.reviews.check(old.check_id) == old
    assert await store.reviews.check("h999") is None


async def test_a_check_recorded_twice_is_kept_once(store, engine):
    await store.record_history(entry(engine, "c1.5"))
    await store.record_history(entry(engine, "c1.5"))
    assert len((await store.history()).entries) == 1


async def test_forgetting_a_user_erases_the_reviews_they_requested(store, engine):
    await store.record_history(entry(engine, "c1.5"))
    await store.record_history(entry(engine, "c2.5", user="U7"))
    await desk_on(store, ids="r1").request("c1.5", ANNA, "payments-sdk")
    await desk_on(store, ids="r2").request("c2.5", Person("U7"), "other")
    assert await store.forget_user("U1") == 2  # the check, and the review (with its event)
    assert [r.id for r in await store.reviews.find()] == ["r2"]
    assert await store.reviews.events("r1") == []


async def test_reviews_are_found_for_many_checks_at_once(store, engine):
    await store.record_history(entry(engine, "c1.5"))
    await desk_on(store).request("c1.5", ANNA, "payments-sdk")
    many = [f"x{n}" for n in range(1200)] + ["c1.5"]
    assert list(await store.reviews.for_checks(many)) == ["c1.5"]
