"""The OSPO review in Teams end to end: activities to the real server, the fake Bot Connector.

The review card goes to the policy's channel, reviewers (by Entra object id) decide on the card
with a comment, the requester is told in their personal chat, and each step lands once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.advisor import Advisor
from bot.core.reviews import EventKind, ReviewState
from bot.platforms import teams
from bot.platforms.teams import CONNECTOR
from bot.platforms.teams.review import TeamsReviews
from bot.policy import Policy
from bot.review import ReviewDesk
from bot.server import REVIEWS, create_app
from bot.store.factory import create_store
from tests.e2e.fake_connector import Message
from tests.e2e.local_http import serve_locally
from tests.e2e.teams_harness import TEAM, TeamsHarness, _submits
from tests.e2e.test_teams import assert_valid_cards
from tests.services import temporary_postgres_database

REVIEW_CHANNEL = {"id": "19:ospo@thread.tacv2", "name": "OSPO reviews"}
ANNA, OSKAR, BEN = "U1", "UR1", "U2"
EVERY_PATH = ["keep_closed", "innersource", "partner_source", "innersource_first", "open_source",
              "contribute_upstream"]


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def policy(**review: Any) -> Policy:
    return Policy.model_validate({
        "company": {"ospo": "Example OSPO"},
        "teams": {"team": TEAM["id"], "channel": REVIEW_CHANNEL["id"], "reviewers": [OSKAR]},
        "review": {"paths": EVERY_PATH, **review}})


class ReviewHarness(TeamsHarness):
    """The Teams harness with a company policy and the review desk."""

    def __init__(self, tmp_path: Path, the_policy: Policy, clock: Clock, **settings: Any) -> None:
        super().__init__(tmp_path, **settings)
        self.policy, self.clock = the_policy, clock
        self.desk: ReviewDesk | None = None

    async def start(self) -> None:
        store = create_store(self.settings)
        await store.setup()
        self.advisor = Advisor(self.engine, store, policy=self.policy)
        self.app = create_app(self.advisor)
        self.desk = ReviewDesk(store, self.policy, clock=self.clock)
        self.app[REVIEWS] = self.desk
        await teams.mount(self.app, self.advisor, self.settings)
        self._runner, base_url = await serve_locally(self.app)
        self.url = f"{base_url}/api/messages"

    def in_review_channel(self) -> list[Message]:
        return self.connector.in_conversation(REVIEW_CHANNEL["id"])

    async def trail(self) -> list[EventKind]:
        assert self.desk is not None
        [review] = await self.desk.store.reviews.find()
        return [event.kind for event in await self.desk.store.reviews.events(review.id)]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    with temporary_postgres_database() as url:
        yield {"database_url": url}


@pytest.fixture
async def bot(tmp_path: Path, database) -> AsyncIterator[ReviewHarness]:
    async with ReviewHarness(tmp_path, policy(), Clock()) as harness:
        if database:
            harness.settings = harness.settings.model_copy(update=database)
            await harness.restart()
        await harness.post(harness.installed())
        await harness.post(harness.installed(REVIEW_CHANNEL, event="channelCreated"))
        yield harness
        assert_valid_cards(harness)


def submits(message: Message, ocb: str) -> list[dict[str, Any]]:
    return [d for d in _submits(message.card or {}) if d.get("ocb") == ocb]


def latest_with(messages: list[Message], ocb: str) -> Message:
    return next(m for m in reversed(messages) if submits(m, ocb))


async def finish_check(bot: ReviewHarness, user: str = ANNA) -> Message:
    """Type the first option to every question until the review offer comes."""
    await bot.say(user, "start")
    for _ in range(30):
        offers = [m for m in bot.chat(user) if submits(m, "review_record")]
        if offers:
            return offers[-1]
        await bot.say(user, "1")
    raise AssertionError(bot.chat(user))


async def request_review(bot: ReviewHarness) -> Message:
    offer = await finish_check(bot)
    [request] = submits(offer, "review_request")
    await bot.submit(ANNA, offer, {**request, "name": "payments-sdk"})
    return latest_with(bot.in_review_channel(), "review_decide")


def answer_styles(element: Any) -> set[str]:
    """The styles of every answer button anywhere in a card."""
    if isinstance(element, list):
        return set().union(*(answer_styles(e) for e in element)) if element else set()
    if not isinstance(element, dict):
        return set()
    own = {str(element.get("style"))} if element.get("type") == "Action.Submit" and \
        element.get("data", {}).get("ocb") == "answer" else set()
    return own.union(*(answer_styles(v) for v in element.values()))


def decision(card: Message, state: ReviewState) -> dict[str, Any]:
    return next(d for d in submits(card, "review_decide") if d["decision"] == state.value)


async def test_a_requested_review_posts_a_card_with_a_comment_input_to_the_review_channel(bot):
    card = await request_review(bot)
    body = str(card.card)
    assert "OSPO review: payments-sdk" in body and "Answers" in body and "state-pending" in body
    assert any(e.get("id") == "comment" for e in card.card["body"])
    assert any("reviewers see it in their channel" in t.text for t in bot.chat(ANNA))
    assert await bot.trail() == [EventKind.REQUESTED]


async def test_someone_who_is_not_a_reviewer_is_told_privately_and_nothing_changes(bot):
    card = await request_review(bot)
    await bot.submit(BEN, card, decision(card, ReviewState.APPROVED))
    assert any("Only the OSPO reviewers" in m.text for m in bot.chat(BEN))
    assert not any("Only the OSPO reviewers" in m.text for m in bot.in_review_channel())
    assert card.updates == 0 and await bot.trail() == [EventKind.REQUESTED]


async def test_a_reviewer_approves_with_a_comment_the_card_updates_and_the_requester_hears(bot):
    card = await request_review(bot)
    await bot.submit(OSKAR, card, {**decision(card, ReviewState.APPROVED),
                                   "comment": "Fine by legal"})
    assert card.updates == 1 and "state-approved" in str(card.card)
    assert "Fine by legal" in str(card.card) and "actions" not in card.card
    notice = [m for m in bot.chat(ANNA) if "approved your OSPO review" in str(m.card)]
    assert len(notice) == 1 and "Fine by legal" in str(notice[0].card)
    assert await bot.trail() == [EventKind.REQUESTED, EventKind.APPROVED]


async def test_a_double_approval_is_recorded_once_and_refused_politely(bot):
    card = await request_review(bot)
    approve = {**decision(card, ReviewState.APPROVED), "comment": "first"}
    await bot.submit(OSKAR, card, approve)
    await bot.submit(OSKAR, card, {**approve, "comment": "second"})
    assert any("already decided" in m.text for m in bot.chat(OSKAR))
    assert not any("already decided" in m.text for m in bot.in_review_channel())
    assert await bot.trail() == [EventKind.REQUESTED, EventKind.APPROVED]
    assert len([m for m in bot.chat(ANNA) if "approved your OSPO review" in str(m.card)]) == 1


async def test_request_changes_then_a_new_check_re_requests_the_same_review(bot):
    card = await request_review(bot)
    await bot.submit(OSKAR, card, {**decision(card, ReviewState.CHANGES_REQUESTED),
                                   "comment": "Split it"})
    notice = latest_with(bot.chat(ANNA), "review_rerun")
    await bot.submit(ANNA, notice, submits(notice, "review_rerun")[0])
    first_question = bot.open_card(ANNA)
    assert first_question is not None
    assert answer_styles(first_question.card) & {"positive"}, "the earlier answer is the default"
    for _ in range(30):
        if any("is linked to the OSPO review" in m.text for m in bot.chat(ANNA)):
            break
        await bot.say(ANNA, "1")
    assert await bot.trail() == [EventKind.REQUESTED, EventKind.CHANGES_REQUESTED,
                                 EventKind.RE_REQUESTED]
    assert "state-pending" in str(card.card) and submits(card, "review_decide")


async def test_reviews_typed_in_the_personal_chat_lists_the_queue_for_reviewers_only(bot):
    await request_review(bot)
    await bot.say(OSKAR, "reviews")
    queue = bot.chat(OSKAR)[-1]
    assert "Waiting for review (1)" in str(queue.card) and submits(queue, "review_decide")
    approve = {**decision(queue, ReviewState.APPROVED)}
    await bot.submit(OSKAR, queue, {**approve, approve["input"]: "From the queue"})
    assert await bot.trail() == [EventKind.REQUESTED, EventKind.APPROVED]
    await bot.say(BEN, "reviews")
    assert "Only the OSPO reviewers" in bot.chat(BEN)[-1].text


async def test_the_daily_job_chases_in_the_channel_and_reminds_the_requester(bot):
    card = await request_review(bot)
    assert bot.app is not None and bot.desk is not None
    daily = TeamsReviews(bot.desk, bot.advisor, bot.app[CONNECTOR], render=None,
                         personal_chat=None)  # type: ignore[arg-type]  (the daily job uses neither)
    bot.clock.now += timedelta(days=6)
    await daily.daily()
    await daily.daily()
    chases = [m for m in bot.in_review_channel() if "has been waiting for 6 days" in str(m.card)]
    assert len(chases) == 1
    await bot.submit(OSKAR, card, decision(card, ReviewState.APPROVED))
    bot.clock.now += timedelta(days=400)
    await daily.daily()
    await daily.daily()
    reminders = [m for m in bot.chat(ANNA) if "Time to check" in str(m.card)]
    assert len(reminders) == 1
