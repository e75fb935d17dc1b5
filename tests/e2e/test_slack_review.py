"""The OSPO review in Slack end to end: the real server, signed requests, the fake Web API.

A check's result offers a review, the card goes to the review channel, reviewers decide through
a modal, the requester hears back, and every step lands once in the review's trail, on SQLite
and PostgreSQL, with two replicas deciding at once.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.advisor import Advisor
from bot.core.engine import Engine
from bot.core.reviews import EventKind, ReviewState
from bot.platforms.slack.app import mount
from bot.platforms.slack.dialogue import Dialogue
from bot.platforms.slack.review import SlackReviews
from bot.platforms.slack.review_blocks import COMMENT_BLOCK, COMMENT_INPUT, NAME_BLOCK, NAME_INPUT
from bot.policy import Policy
from bot.review import ReviewDesk
from bot.server import REVIEWS, create_app, spawn
from bot.store.base import Store
from tests.e2e.fake_slack import FakeSlack, Posted
from tests.e2e.local_http import serve_locally
from tests.e2e.slack_testbed import FORM, SlackTestbed, find_element, slack_settings
from tests.services import temporary_postgres_database

REVIEW_CHANNEL = "CREVIEW"
ANNA, OSKAR, OLGA, BEN = "U1", "UR1", "UR2", "U2"  # requester, reviewer, group member, neither
EVERY_PATH = ["keep_closed", "innersource", "partner_source", "innersource_first", "open_source",
              "contribute_upstream"]


def policy(**review: Any) -> Policy:
    return Policy.model_validate({
        "company": {"ospo": "Example OSPO"},
        "slack": {"channel": REVIEW_CHANNEL, "reviewers": [OSKAR], "reviewer_group": "SOSPO"},
        "review": {"paths": EVERY_PATH, **review},
        "re_review_months": dict.fromkeys(EVERY_PATH, 3)})


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class ReviewTestbed(SlackTestbed):
    """The Slack testbed with a company policy, the review desk, and modal submissions."""

    def __init__(self, fake: FakeSlack, settings, the_policy: Policy, clock: Clock) -> None:
        super().__init__(fake, settings)
        self.policy, self.clock = the_policy, clock
        self.desk: ReviewDesk | None = None
        self._views = itertools.count(1)

    async def start(self) -> None:
        store = await self.make_store()
        self.advisor = Advisor(Engine.default(), store, policy=self.policy)
        self.app = create_app(self.advisor)
        self.desk = ReviewDesk(store, self.policy, clock=self.clock)
        self.app[REVIEWS] = self.desk
        await mount(self.app, self.advisor, self.settings)
        self._runner, self.url = await serve_locally(self.app)

    @property
    def store(self) -> Store:
        assert self.desk is not None
        return self.desk.store

    async def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> int:
        """Submit a modal the app opened, as Slack does when the user presses its button."""
        payload = {
            "type": "view_submission", "team": {"id": "T1"}, "api_app_id": "A1",
            "user": {"id": user, "username": user.lower(), "team_id": "T1"},
            "trigger_id": self.next_id("trigger"),
            "view": {"id": f"V{next(self._views)}", "team_id": "T1", "type": "modal",
                     "callback_id": view["callback_id"],
                     "private_metadata": view.get("private_metadata", ""),
                     "state": {"values": values}}}
        status, _ = await self.send(urlencode({"payload": json.dumps(payload)}), FORM)
        return status

    async def home(self, user: str) -> dict[str, Any]:
        event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home",
                 "event_ts": f"{time.time():.6f}"}
        await self.send(self.event_body(event, self.next_id("Ev")), "application/json")
        return self.fake.called("views.publish")[-1].params["view"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    server.groups["SOSPO"] = [OLGA]
    yield server
    await server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reviews.db'}"
        return
    with temporary_postgres_database() as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def slack(fake, tmp_path, database_url, clock) -> AsyncIterator[ReviewTestbed]:
    bed = ReviewTestbed(fake, slack_settings(fake, tmp_path, database_url=database_url),
                        policy(), clock)
    await bed.start()
    yield bed
    await bed.stop()


# --- helpers ------------------------------------------------------------------------------


def last(fake: FakeSlack, channel: str, containing: str = "") -> Posted:
    return next(m for m in reversed(fake.messages)
                if m.channel == channel and containing in m.text and m.user is None)


def has_action(message: Posted, action_id: str) -> bool:
    return any(e.get("action_id") == action_id for b in message.blocks
               for e in b.get("elements", []))


async def finish_check(slack: ReviewTestbed, user: str = ANNA) -> str:
    """Type the first option to every question until the result comes; the offer's check id."""
    before = len(slack.fake.dm(user))
    await slack.dm(user, "hi")
    for _ in range(30):
        offers = [m for m in slack.fake.dm(user)[before:] if has_action(m, "review_record")]
        if offers:
            return str(find_element(offers[-1], "review_record")[1]["value"])
        await slack.dm(user, "1")
    raise AssertionError([m.text for m in slack.fake.dm(user)])


async def request_review(slack: ReviewTestbed, check: str, name: str = "payments-sdk") -> Posted:
    offer = last(slack.fake, f"D{ANNA}", check)
    assert await slack.click(ANNA, offer, "review_request") == 200
    modal = slack.fake.called("views.open")[-1].params["view"]
    assert (modal["callback_id"], modal["private_metadata"]) == ("review_request_modal", check)
    values = {NAME_BLOCK: {NAME_INPUT: {"type": "plain_text_input", "value": name}}}
    assert await slack.submit(ANNA, modal, values) == 200
    return last(slack.fake, REVIEW_CHANNEL, "OSPO review")


async def decide(slack: ReviewTestbed, user: str, card: Posted, action: str,
                 comment: str | None = None) -> dict[str, Any] | None:
    """Press a decision button; submit the modal if one opened (returned for resubmitting)."""
    opened = len(slack.fake.called("views.open"))
    assert await slack.click(user, card, action) == 200
    if len(slack.fake.called("views.open")) == opened:
        return None
    modal = slack.fake.called("views.open")[-1].params["view"]
    await submit_decision(slack, user, modal, comment)
    return modal


async def submit_decision(slack: ReviewTestbed, user: str, modal: dict[str, Any],
                          comment: str | None) -> None:
    values = {COMMENT_BLOCK: {COMMENT_INPUT: {"type": "plain_text_input", "value": comment}}}
    assert await slack.submit(user, modal, values) == 200


async def trail(slack: ReviewTestbed) -> list[EventKind]:
    [review] = await slack.store.reviews.find()
    return [event.kind for event in await slack.store.reviews.events(review.id)]


# --- request and decide -------------------------------------------------------------------


async def test_a_result_the_policy_flags_offers_a_review_that_posts_a_card_to_the_channel(
        slack, fake) -> None:
    check = await finish_check(slack)
    offer = last(fake, f"D{ANNA}", check)
    assert has_action(offer, "review_request") and "Example OSPO" in offer.text
    card = await request_review(slack, check)
    assert "payments-sdk" in card.text and "Waiting for review" in card.text
    assert all(has_action(card, a) for a in ("review_approve", "review_changes",
                                             "review_decline"))
    text = json.dumps(card.blocks)
    assert f"<@{ANNA}>" in text and "*Path:*" in text and "*Answers*" in text
    assert "reviewers see it in <#CREVIEW>" in last(fake, f"D{ANNA}").text
    assert await trail(slack) == [EventKind.REQUESTED]


async def test_an_outcome_the_policy_does_not_flag_offers_only_the_decision_record(
        fake, tmp_path, clock) -> None:
    bed = ReviewTestbed(fake, slack_settings(fake, tmp_path), policy(paths=[], flags=[]), clock)
    await bed.start()
    try:
        check = await finish_check(bed)
        offer = last(fake, f"D{ANNA}", check)
        assert has_action(offer, "review_record") and not has_action(offer, "review_request")
    finally:
        await bed.stop()


async def test_a_blank_name_is_refused_in_the_modal_and_nothing_is_requested(slack, fake):
    check = await finish_check(slack)
    await slack.click(ANNA, last(fake, f"D{ANNA}", check), "review_request")
    modal = fake.called("views.open")[-1].params["view"]
    payload = {"type": "view_submission", "team": {"id": "T1"}, "api_app_id": "A1",
               "user": {"id": ANNA, "team_id": "T1"}, "trigger_id": "t",
               "view": {"id": "V9", "team_id": "T1", "type": "modal",
                        "callback_id": modal["callback_id"],
                        "private_metadata": modal["private_metadata"],
                        "state": {"values": {NAME_BLOCK: {NAME_INPUT: {"value": "  "}}}}}}
    status, body = await slack.send(urlencode({"payload": json.dumps(payload)}), FORM)
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    assert await slack.store.reviews.find() == []


async def test_someone_who_is_not_a_reviewer_is_refused_privately_and_nothing_changes(
        slack, fake) -> None:
    card = await request_review(slack, await finish_check(slack))
    opened = len(fake.called("views.open"))
    assert await decide(slack, BEN, card, "review_approve") is None
    assert len(fake.called("views.open")) == opened
    [refusal] = [m for m in fake.messages if m.user == BEN]
    assert refusal.channel == REVIEW_CHANNEL and "Only the OSPO reviewers" in refusal.text
    assert await trail(slack) == [EventKind.REQUESTED]
    assert has_action(last(fake, REVIEW_CHANNEL, "OSPO review"), "review_approve")


async def test_a_reviewer_approves_with_a_comment_the_card_updates_and_the_requester_hears(
        slack, fake) -> None:
    card = await request_review(slack, await finish_check(slack))
    await decide(slack, OSKAR, card, "review_approve", "Fine by legal, go ahead")
    updated = last(fake, REVIEW_CHANNEL, "OSPO review")
    assert updated.ts == card.ts and "Approved" in updated.text
    assert not has_action(updated, "review_approve")
    assert f"by <@{OSKAR}>" in json.dumps(updated.blocks)
    assert "Fine by legal, go ahead" in json.dumps(updated.blocks)
    notice = last(fake, f"D{ANNA}", "approved your OSPO review")
    assert "Fine by legal, go ahead" in json.dumps(notice.blocks)
    assert await trail(slack) == [EventKind.REQUESTED, EventKind.APPROVED]


async def test_a_member_of_the_reviewer_group_may_decide(slack, fake) -> None:
    card = await request_review(slack, await finish_check(slack))
    await decide(slack, OLGA, card, "review_decline", "Not this year")
    assert "declined your OSPO review" in last(fake, f"D{ANNA}", "declined").text
    assert await trail(slack) == [EventKind.REQUESTED, EventKind.DECLINED]


async def test_a_double_approval_is_recorded_once_and_the_second_is_refused_politely(
        slack, fake) -> None:
    card = await request_review(slack, await finish_check(slack))
    before = copy.deepcopy(card)  # the card as a second window still shows it
    modal = await decide(slack, OSKAR, card, "review_approve", "first")
    await submit_decision(slack, OSKAR, modal, "second")  # the same modal, submitted again
    assert "already decided: Approved by" in last(fake, f"D{OSKAR}").text
    assert await decide(slack, OSKAR, before, "review_decline") is None  # the old button
    assert "decided already" in [m for m in fake.messages if m.user == OSKAR][-1].text
    assert await trail(slack) == [EventKind.REQUESTED, EventKind.APPROVED]
    [review] = await slack.store.reviews.find()
    assert review.comment == "first"
    assert len([m for m in fake.dm(ANNA) if "approved your OSPO review" in m.text]) == 1


async def test_request_changes_then_the_check_run_again_re_requests_the_same_review(
        slack, fake) -> None:
    first = await finish_check(slack)
    card = await request_review(slack, first)
    await decide(slack, OSKAR, card, "review_changes", "Split out the pricing module")
    notice = last(fake, f"D{ANNA}", "asked for changes")
    assert "Split out the pricing module" in json.dumps(notice.blocks)
    await slack.click(ANNA, notice, "review_rerun")
    asked = next(m for m in reversed(fake.dm(ANNA)) if any(
        b.get("block_id", "").startswith("answers:") for b in m.blocks))
    earlier = [e for b in asked.blocks for e in b.get("elements", [])
               if e.get("style") == "primary"]
    assert earlier, "the earlier answer is offered as the default"
    for _ in range(30):
        if any("is linked to the OSPO review" in m.text for m in fake.dm(ANNA)):
            break
        await slack.dm(ANNA, "1")
    [review] = await slack.store.reviews.find()
    assert review.state is ReviewState.PENDING and review.check_id != first
    assert await trail(slack) == [EventKind.REQUESTED, EventKind.CHANGES_REQUESTED,
                                  EventKind.RE_REQUESTED]
    refreshed = last(fake, REVIEW_CHANNEL, "OSPO review")
    assert refreshed.ts == card.ts and has_action(refreshed, "review_approve")
    assert review.check_id in json.dumps(refreshed.blocks)
    offers = [m for m in fake.dm(ANNA) if has_action(m, "review_request")]
    assert len(offers) == 1  # the re-run is linked, not offered a second review


# --- find it later --------------------------------------------------------------------------


async def test_app_home_shows_my_checks_with_their_status_and_reviewers_their_queue(
        slack, fake) -> None:
    card = await request_review(slack, await finish_check(slack))
    mine = json.dumps(await slack.home(ANNA))
    assert "My checks" in mine and "Waiting for review" in mine and "payments-sdk" in mine
    assert "review_approve" not in mine
    queue = await slack.home(OSKAR)
    assert "review_approve" in json.dumps(queue)
    home_card = Posted(channel="", ts="", text="home", blocks=queue["blocks"])
    await decide(slack, OSKAR, home_card, "review_approve", "From App Home")
    assert "Approved" in json.dumps(await slack.home(ANNA))
    assert "Approved" in last(fake, REVIEW_CHANNEL, "OSPO review").text
    assert card.ts == last(fake, REVIEW_CHANNEL, "OSPO review").ts


async def test_the_decision_record_is_offered_in_the_dm(slack, fake) -> None:
    check = await finish_check(slack)
    await slack.click(ANNA, last(fake, f"D{ANNA}", check), "review_record")
    record = json.dumps(last(fake, f"D{ANNA}", "Decision record").blocks)
    assert "## Context" in record and "## Approvals" in record


async def test_the_daily_job_chases_once_and_schedules_the_re_review_reminder(
        slack, fake, clock) -> None:
    card = await request_review(slack, await finish_check(slack))
    web = AsyncWebClient(token="xoxb-T1-token", base_url=fake.api_url)

    async def client_for(workspace: str) -> AsyncWebClient:
        return web

    daily = SlackReviews(slack.desk, Dialogue(slack.advisor),
                         lambda work, name: spawn(slack.app, work, name))
    await daily.daily(client_for)
    assert not [m for m in fake.messages if "has been waiting" in m.text]
    clock.now += timedelta(days=6)
    await asyncio.gather(daily.daily(client_for), daily.daily(client_for))  # two replicas
    chases = [m for m in fake.messages if "has been waiting for 6 days" in m.text]
    assert len(chases) == 1 and chases[0].channel == REVIEW_CHANNEL
    await decide(slack, OSKAR, card, "review_approve")
    await daily.daily(client_for)
    [scheduled] = fake.called("chat.scheduleMessage")
    [review] = await slack.store.reviews.find()
    assert review.rereview_due is not None
    assert int(scheduled.params["post_at"]) == int(review.rereview_due.timestamp())
    assert scheduled.params["channel"] == ANNA
    await daily.daily(client_for)
    assert len(fake.called("chat.scheduleMessage")) == 1
    assert (await trail(slack)).count(EventKind.REMINDED) == 2


# --- two replicas -----------------------------------------------------------------------


@pytest.mark.services
async def test_two_replicas_deciding_at_once_record_one_decision(fake, tmp_path, clock):
    with temporary_postgres_database() as url:
        settings = slack_settings(fake, tmp_path, database_url=url)
        one = ReviewTestbed(fake, settings, policy(), clock)
        two = ReviewTestbed(fake, settings, policy(), clock)
        await one.start()
        await two.start()
        try:
            card = await request_review(one, await finish_check(one))
            modals = []
            for reviewer in (OSKAR, OLGA):
                await one.click(reviewer, card, "review_approve")
                modals.append(fake.called("views.open")[-1].params["view"])
            await asyncio.gather(submit_decision(one, OSKAR, modals[0], "from one"),
                                 submit_decision(two, OLGA, modals[1], "from two"))
            kinds = await trail(two)
            assert kinds == [EventKind.REQUESTED, EventKind.APPROVED]
            refused = [m for u in (OSKAR, OLGA) for m in fake.dm(u) if "already decided" in m.text]
            assert len(refused) == 1
            assert len([m for m in fake.dm(ANNA) if "approved your OSPO review" in m.text]) == 1
        finally:
            await one.stop()
            await two.stop()
