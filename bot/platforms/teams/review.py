"""The Teams edge of the OSPO review: card submits into ReviewDesk calls, results as cards.

The review card goes to the policy's channel through the conversation reference the bot keeps
for it (`channels`), the requester is told in their personal chat (its reference is kept when
they request), and the daily job chases waiting reviews and sends re-review reminders as
proactive messages, all through the chosen SDK's Connector. Reviewers are recognised by their
Entra object id.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.advisor import Advisor, Context, Turn
from bot.core.flow import FlowDefinition
from bot.core.replies import Result
from bot.core.reviews import DECISIONS, Review, ReviewRefusedError, ReviewState
from bot.platforms.teams import review_cards as cards
from bot.platforms.teams.activity import Activity, card_attachment, mapping
from bot.platforms.teams.channels import CHANNEL
from bot.platforms.teams.connector import CALL_TIMEOUT_SECONDS, Connector, ConnectorError
from bot.policy import Policy, needs_review
from bot.records import decision_record
from bot.review import ONLY_REVIEWERS, Person, ReviewDesk
from bot.store.base import ConversationKey, Store, check_id

log = logging.getLogger(__name__)

CARDS = "teams.review_card"  # review id -> {"reference", "id"} of its card in the channel
REQUESTERS = "teams.review_requester"  # review id -> the requester's personal chat reference
RERUNS = "teams.review_rerun"  # per user: conversation id of a re-run -> review id


class Sender(Protocol):
    """What the dialogue's `Replies` offers: send into the conversation of one activity."""

    activity: Activity

    async def send(self, text: str = "", card: dict[str, Any] | None = None) -> str:
        """A text or a card; the id Teams gave it."""


Render = Callable[[Any, ConversationKey, Turn], Awaitable[None]]
PersonalChat = Callable[[Activity], Awaitable[Activity | None]]


def _message(reference: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "from": reference.get("bot"),
            "conversation": mapping(reference.get("conversation")),
            "channelId": reference.get("channelId"), "serviceUrl": reference.get("serviceUrl"),
            **body}


class TeamsReviews:
    """Request, decide, re-run and remind, for Teams."""

    def __init__(self, desk: ReviewDesk, advisor: Advisor, connector: Connector,
                 render: Render, personal_chat: PersonalChat) -> None:
        if desk.policy is None:
            raise ValueError("reviews need a policy")
        self.desk, self.advisor, self.connector = desk, advisor, connector
        self.policy: Policy = desk.policy
        self.store = desk.store
        self.render, self.personal_chat = render, personal_chat

    @staticmethod
    def is_review(value: dict[str, Any]) -> bool:
        """Whether a card submit belongs to the review flow."""
        return str(value.get("ocb", "")).startswith("review_")

    async def on_submit(self, replies: Sender, key: ConversationKey,
                        value: dict[str, Any]) -> None:
        """A review card's button: request, decide, re-run or show the record."""
        kind, person = value.get("ocb"), Person(key.user, replies.activity.user_name)
        try:
            if kind == cards.DECIDE:
                await self._decide(replies, person, value)
            elif value.get("owner") != key.user:
                await replies.send("That belongs to someone else; nothing changed.")
            elif kind == cards.REQUEST:
                await self._request(replies, person, value)
            elif kind == cards.RERUN:
                await self._rerun(replies, key, str(value.get("review", "")))
            elif kind == cards.RECORD:
                await self._record(replies, str(value.get("check", "")))
        except ReviewRefusedError as refused:
            await self._privately(replies, str(refused))

    async def after_result(self, replies: Sender, key: ConversationKey, turn: Turn) -> None:
        """Under a finished check: link a re-run to its review, or offer a review."""
        result = next((r for r in turn.replies if isinstance(r, Result)), None)
        if result is None or turn.conversation is None:
            return
        check, scope = check_id(turn.conversation), str(key)
        review_id = (await self.store.get_records(RERUNS, scope)).get(turn.conversation.id)
        if review_id is None:
            needed = needs_review(result.recommendation, self.policy)
            await replies.send(card=cards.offer(check, key.user, needed=needed,
                                                ospo=self.policy.company.ospo))
            return
        await self.store.delete_record(RERUNS, scope, turn.conversation.id)
        person = Person(key.user, replies.activity.user_name)
        try:
            review = await self.desk.re_request(review_id, check, person)
        except ReviewRefusedError as refused:
            await replies.send(str(refused))
            return
        await self._update_card(review)
        await replies.send(f"Your new check {check} is linked to the OSPO review of "
                           f"**{review.name}**, which is waiting for the reviewers again.")

    async def queue(self, replies: Sender, key: ConversationKey) -> None:
        """`reviews` typed in the personal chat: the waiting queue, for reviewers only."""
        if not self.policy.is_teams_reviewer(key.user):
            await replies.send("Only the OSPO reviewers can see the review queue.")
            return
        waiting = await self.store.reviews.find(state=ReviewState.PENDING, platform="teams",
                                                workspace=key.workspace)
        await replies.send(card=cards.queue(waiting))

    async def daily(self) -> None:
        """Chase waiting reviews in the review channel; remind requesters of re-reviews."""
        for review in await self.desk.chase_due("teams"):
            days = (review.chased_at - review.requested_at).days if review.chased_at else 0
            reference = await self._channel_reference(review.workspace)
            if reference is not None:
                await self._send(reference, cards.chase(review, days))
        for review in await self.desk.rereviews_due("teams"):
            found = (await self.store.get_records(REQUESTERS, review.id)).get("reference")
            if found is not None:
                await self._send(json.loads(found), cards.rereview(review))

    # --- steps ------------------------------------------------------------------------------

    async def _request(self, replies: Sender, person: Person, value: dict[str, Any]) -> None:
        name = value.get("name")
        review, created = await self.desk.request(str(value.get("check", "")), person,
                                                  name if isinstance(name, str) else "")
        if not created:
            await replies.send(f"This check already has a review: "
                               f"{review.state.value.replace('_', ' ')}.")
            return
        await self.store.put_record(REQUESTERS, review.id, "reference",
                                    json.dumps(replies.activity.reference()))
        posted = await self._post_card(review)
        await replies.send(
            f"Requested an OSPO review of **{review.name}**: the reviewers see it in their "
            "channel, and I will tell you here when they decide." if posted else
            f"Your review of **{review.name}** is recorded, but I cannot post to the OSPO's "
            "review channel: ask them to add me to that team. Reviewers see it when they type "
            "**reviews**.")

    async def _decide(self, replies: Sender, person: Person, value: dict[str, Any]) -> None:
        allowed = self.policy.is_teams_reviewer(person.id)
        if not allowed:
            await self._privately(replies, ONLY_REVIEWERS)
            return
        decision = next((d for d in DECISIONS if d.value == value.get("decision")), None)
        if decision is None:
            await replies.send("I could not read that button; nothing changed.")
            return
        comment = value.get(str(value.get("input") or "comment"))
        review = await self.desk.decide(str(value.get("review", "")), decision, person,
                                        comment if isinstance(comment, str) else "",
                                        may_decide=allowed)
        await self._update_card(review)
        found = (await self.store.get_records(REQUESTERS, review.id)).get("reference")
        if found is not None:
            await self._send(json.loads(found), cards.decided(review))

    async def _rerun(self, replies: Sender, key: ConversationKey, review_id: str) -> None:
        review = await self.store.reviews.get(review_id)
        entry = await self.store.reviews.check(review.check_id) if review else None
        if review is None or entry is None or review.requester != key.user or \
                review.state is not ReviewState.CHANGES_REQUESTED:
            await replies.send("Only the requester can run the check again, and only after "
                               "the reviewers asked for changes; nothing changed.")
            return
        activity = replies.activity
        event = f"teams:{activity.conversation_id}:{activity.id}" if activity.id else None
        turn = await self.advisor.start(
            key, Context(channel=activity.conversation_id, user_name=activity.user_name), event,
            defaults=entry.answers)
        if turn.changed and turn.conversation is not None:
            await self.store.put_record(RERUNS, str(key), turn.conversation.id, review.id)
        await self.render(replies, key, turn)

    async def _record(self, replies: Sender, check: str) -> None:
        found = await self.desk.record(check)
        if found is None:
            await replies.send("I found no check with that id.")
            return
        markdown = decision_record(found.entry, found.review, found.events,
                                   self.advisor.engine.flow)
        await replies.send(f"```\n{markdown}\n```")

    # --- proactive messages -----------------------------------------------------------------

    async def _card(self, review: Review) -> dict[str, Any]:
        return await review_card(self.store, self.advisor.engine.flow, review)

    async def _channel_reference(self, tenant: str) -> dict[str, Any] | None:
        return await channel_reference(self.store, self.policy, tenant)

    async def _post_card(self, review: Review) -> bool:
        return await post_card(self.store, self.connector, self.advisor.engine.flow,
                               self.policy, review, tenant=review.workspace)

    async def _update_card(self, review: Review) -> None:
        found = (await self.store.get_records(CARDS, review.id)).get("card")
        if found is None:
            return
        record = json.loads(found)
        reference = mapping(record["reference"])
        message = _message(reference, card_attachment(await self._card(review)))
        await self._call(self.connector.update(
            str(reference.get("serviceUrl")), str(mapping(reference.get("conversation")).get("id")),
            str(record["id"]), message))

    async def _send(self, reference: dict[str, Any], card: dict[str, Any] | None = None,
                    text: str = "") -> str | None:
        return await _send(self.connector, reference, card, text)

    async def _privately(self, replies: Sender, text: str) -> None:
        """To the clicking user only: Teams has no ephemeral messages, so a refusal clicked in a
        channel goes to their personal chat instead of being read by everyone."""
        activity = replies.activity
        if not activity.shared:
            await replies.send(text)
            return
        chat = await self.personal_chat(activity)
        if chat is not None:
            await self._send(chat.reference(), text=text)

    async def _call(self, call: Awaitable[Any]) -> Any:
        return await _call(call)


async def review_card(store: Store, flow: FlowDefinition, review: Review) -> dict[str, Any]:
    """The review's card as the review channel shows it."""
    entry = await store.reviews.check(review.check_id)
    if entry is None:  # the check was purged or erased; the review remains
        return cards.gone(review)
    return cards.card(review, entry, flow)


async def channel_reference(store: Store, policy: Policy, tenant: str) -> dict[str, Any] | None:
    """The conversation reference of the policy's review channel in `tenant`, once the bot
    has seen it (installed in its team); None before."""
    found = (await store.get_records(CHANNEL, tenant)).get(policy.teams.channel or "")
    return None if found is None else mapping(json.loads(found)["reference"])


async def post_card(store: Store, connector: Connector, flow: FlowDefinition, policy: Policy,
                    review: Review, *, tenant: str) -> bool:
    """Post the review's card to the policy's channel in `tenant` as a proactive message and
    remember where, so a decision updates it; whether it was posted (also `review request`'s)."""
    reference = await channel_reference(store, policy, tenant)
    if reference is None:
        return False
    sent = await _send(connector, reference, await review_card(store, flow, review))
    if sent is None:
        return False
    await store.put_record(CARDS, review.id, "card",
                           json.dumps({"reference": reference, "id": sent}))
    return True


async def _send(connector: Connector, reference: dict[str, Any],
                card: dict[str, Any] | None = None, text: str = "") -> str | None:
    message = _message(reference, card_attachment(card) if card else {"text": text})
    sent = await _call(connector.send(
        str(reference.get("serviceUrl")), str(mapping(reference.get("conversation")).get("id")),
        message))
    return None if sent is None else str(sent)


async def _call(call: Awaitable[Any]) -> Any:
    try:
        return await asyncio.wait_for(call, CALL_TIMEOUT_SECONDS * 2)
    except ConnectorError as error:
        log.warning("a proactive review message failed", extra={"status": error.status})
        return None
