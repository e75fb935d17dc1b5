"""The Teams edge of the OSPO review: card submits into ReviewDesk calls, results as cards.

The review card goes to the policy's channel through the conversation reference the bot keeps
for it (teams_channels), the requester is told in their personal chat (its reference is kept
when they request), and the daily job chases waiting reviews and sends re-review reminders as
proactive messages. Reviewers are recognised by their Entra object id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ConversationParameters, ConversationReference
from msrest.exceptions import HttpOperationError

from bot.advisor import Advisor, Context, Turn
from bot.core.replies import Result
from bot.core.reviews import DECISIONS, Review, ReviewRefusedError, ReviewState
from bot.platforms import teams_review_cards as cards
from bot.platforms.teams_channels import CHANNEL
from bot.policy import Policy, needs_review
from bot.records import decision_record
from bot.review import ONLY_REVIEWERS, Person, ReviewDesk
from bot.store.base import ConversationKey, check_id

log = logging.getLogger(__name__)

CARDS = "teams.review_card"  # review id -> {"reference", "id"} of its card in the channel
REQUESTERS = "teams.review_requester"  # review id -> the requester's personal chat reference
RERUNS = "teams.review_rerun"  # per user: conversation id of a re-run -> review id
Render = Callable[[TurnContext, ConversationKey, Turn], Awaitable[None]]


def _activity(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


def _reference(data: str | dict[str, Any]) -> ConversationReference:
    value = json.loads(data) if isinstance(data, str) else data
    return ConversationReference().deserialize(value)


class TeamsReviews:
    """Request, decide, re-run and remind, for Teams."""

    def __init__(self, desk: ReviewDesk, advisor: Advisor, adapter: Any, app_id: str,
                 render: Render) -> None:
        if desk.policy is None:
            raise ValueError("reviews need a policy")
        self.desk, self.advisor, self.adapter, self.app_id = desk, advisor, adapter, app_id
        self.policy: Policy = desk.policy
        self.store = desk.store
        self.render = render

    def is_review(self, value: dict[str, Any]) -> bool:
        """Whether a card submit belongs to the review flow."""
        return str(value.get("ocb", "")).startswith("review_")

    async def on_submit(self, context: TurnContext, key: ConversationKey,
                        value: dict[str, Any]) -> None:
        """A review card's button: request, decide, re-run or show the record."""
        kind, person = value.get("ocb"), Person(key.user, context.activity.from_property.name)
        try:
            if kind == cards.DECIDE:
                await self._decide(context, person, value)
            elif value.get("owner") != key.user:
                await context.send_activity("That belongs to someone else; nothing changed.")
            elif kind == cards.REQUEST:
                await self._request(context, person, value)
            elif kind == cards.RERUN:
                await self._rerun(context, key, str(value.get("review", "")))
            elif kind == cards.RECORD:
                await self._record(context, str(value.get("check", "")))
        except ReviewRefusedError as refused:
            await self._privately(context, str(refused))

    async def after_result(self, context: TurnContext, key: ConversationKey, turn: Turn) -> None:
        """Under a finished check: link a re-run to its review, or offer a review."""
        result = next((r for r in turn.replies if isinstance(r, Result)), None)
        if result is None or turn.conversation is None:
            return
        check, scope = check_id(turn.conversation), str(key)
        review_id = (await self.store.get_records(RERUNS, scope)).get(turn.conversation.id)
        if review_id is None:
            needed = needs_review(result.recommendation, self.policy)
            await context.send_activity(_activity(cards.offer(
                check, key.user, needed=needed, ospo=self.policy.company.ospo)))
            return
        await self.store.delete_record(RERUNS, scope, turn.conversation.id)
        person = Person(key.user, context.activity.from_property.name)
        try:
            review = await self.desk.re_request(review_id, check, person)
        except ReviewRefusedError as refused:
            await context.send_activity(str(refused))
            return
        await self._update_card(review)
        await context.send_activity(f"Your new check {check} is linked to the OSPO review of "
                                    f"**{review.name}**, which is waiting for the reviewers again.")

    async def queue(self, context: TurnContext, key: ConversationKey) -> None:
        """`reviews` typed in the personal chat: the waiting queue, for reviewers only."""
        if not self.policy.is_teams_reviewer(key.user):
            await context.send_activity("Only the OSPO reviewers can see the review queue.")
            return
        waiting = await self.desk.store.reviews.find(state=ReviewState.PENDING, platform="teams",
                                                     workspace=key.workspace)
        await context.send_activity(_activity(cards.queue(waiting)))

    async def daily(self) -> None:
        """Chase waiting reviews in the review channel; remind requesters of re-reviews."""
        for review in await self.desk.chase_due("teams"):
            days = (review.chased_at - review.requested_at).days if review.chased_at else 0
            await self._to_channel(review.workspace, _activity(cards.chase(review, days)))
        for review in await self.desk.rereviews_due("teams"):
            await self._to_requester(review, _activity(cards.rereview(review)))

    # --- steps ------------------------------------------------------------------------------

    async def _request(self, context: TurnContext, person: Person, value: dict[str, Any]) -> None:
        name = value.get("name")
        review, created = await self.desk.request(str(value.get("check", "")), person,
                                                  name if isinstance(name, str) else "")
        if not created:
            await context.send_activity(f"This check already has a review: "
                                        f"{review.state.value.replace('_', ' ')}.")
            return
        reference = TurnContext.get_conversation_reference(context.activity)
        await self.store.put_record(REQUESTERS, review.id, "reference",
                                    json.dumps(reference.serialize()))
        posted = await self._post_card(review)
        await context.send_activity(
            f"Requested an OSPO review of **{review.name}**: the reviewers see it in their "
            "channel, and I will tell you here when they decide." if posted else
            f"Your review of **{review.name}** is recorded, but I cannot post to the OSPO's "
            "review channel: ask them to add me to that team. Reviewers see it when they type "
            "**reviews**.")

    async def _decide(self, context: TurnContext, person: Person, value: dict[str, Any]) -> None:
        allowed = self.policy.is_teams_reviewer(person.id)
        if not allowed:
            await self._privately(context, ONLY_REVIEWERS)
            return
        decision = next((d for d in DECISIONS if d.value == value.get("decision")), None)
        if decision is None:
            await context.send_activity("I could not read that button; nothing changed.")
            return
        comment = value.get(str(value.get("input") or "comment"))
        review = await self.desk.decide(str(value.get("review", "")), decision, person,
                                        comment if isinstance(comment, str) else "",
                                        may_decide=allowed)
        await self._update_card(review)
        await self._to_requester(review, _activity(cards.decided(review)))

    async def _rerun(self, context: TurnContext, key: ConversationKey, review_id: str) -> None:
        review = await self.store.reviews.get(review_id)
        entry = await self.store.reviews.check(review.check_id) if review else None
        if review is None or entry is None or review.requester != key.user or \
                review.state is not ReviewState.CHANGES_REQUESTED:
            await context.send_activity("Only the requester can run the check again, and only "
                                        "after the reviewers asked for changes; nothing changed.")
            return
        activity = context.activity
        event = f"teams:{activity.conversation.id}:{activity.id}" if activity.id else None
        turn = await self.advisor.start(
            key, Context(channel=activity.conversation.id,
                         user_name=activity.from_property.name), event, defaults=entry.answers)
        if turn.changed and turn.conversation is not None:
            await self.store.put_record(RERUNS, str(key), turn.conversation.id, review.id)
        await self.render(context, key, turn)

    async def _record(self, context: TurnContext, check: str) -> None:
        found = await self.desk.record(check)
        if found is None:
            await context.send_activity("I found no check with that id.")
            return
        markdown = decision_record(found.entry, found.review, found.events,
                                   self.advisor.engine.flow)
        await context.send_activity(MessageFactory.text(f"```\n{markdown}\n```"))

    # --- proactive messages -----------------------------------------------------------------

    async def _card(self, review: Review) -> dict[str, Any]:
        entry = await self.store.reviews.check(review.check_id)
        if entry is None:  # the check was purged or erased; the review remains
            return cards.gone(review)
        return cards.card(review, entry, self.advisor.engine.flow)

    async def _channel_reference(self, tenant: str) -> ConversationReference | None:
        channel = self.policy.teams.channel
        found = (await self.store.get_records(CHANNEL, tenant)).get(channel or "")
        return None if found is None else _reference(json.loads(found)["reference"])

    async def _post_card(self, review: Review) -> bool:
        reference = await self._channel_reference(review.workspace)
        if reference is None:
            return False
        sent: list[str] = []

        async def send(proactive: TurnContext) -> None:
            answer = await proactive.send_activity(_activity(await self._card(review)))
            sent.append(answer.id if answer else "")

        if not await self._continue(reference, send):
            return False
        record = {"reference": reference.serialize(), "id": sent[0]}
        await self.store.put_record(CARDS, review.id, "card", json.dumps(record))
        return True

    async def _update_card(self, review: Review) -> None:
        found = (await self.store.get_records(CARDS, review.id)).get("card")
        if found is None:
            return
        record = json.loads(found)
        update = _activity(await self._card(review))
        update.id = record["id"]

        async def replace(proactive: TurnContext) -> None:
            await proactive.update_activity(update)

        await self._continue(_reference(record["reference"]), replace)

    async def _to_channel(self, tenant: str, message: Activity) -> None:
        reference = await self._channel_reference(tenant)
        if reference is not None:
            await self._continue(reference, lambda proactive: proactive.send_activity(message))

    async def _to_requester(self, review: Review, message: Activity) -> None:
        found = (await self.store.get_records(REQUESTERS, review.id)).get("reference")
        if found is not None:
            await self._continue(_reference(found),
                                 lambda proactive: proactive.send_activity(message))

    async def _privately(self, context: TurnContext, text: str) -> None:
        """To the clicking user only: their personal chat when the click came from a channel."""
        activity = context.activity
        if activity.conversation.conversation_type == "personal":
            await context.send_activity(text)
            return
        # A refusal in the channel would be read by everyone; Teams has no ephemeral messages.
        tenant = activity.conversation.tenant_id
        parameters = ConversationParameters(
            is_group=False, bot=activity.recipient, members=[activity.from_property],
            tenant_id=tenant, channel_data={"tenant": {"id": tenant}})

        async def tell(private: TurnContext) -> None:
            await private.send_activity(text)

        try:
            await self.adapter.create_conversation(self.app_id, tell, parameters,
                                                   activity.channel_id, activity.service_url)
        except HttpOperationError:
            log.info("no personal chat for a refusal; nothing changed either way")

    async def _continue(self, reference: ConversationReference,
                        work: Callable[[TurnContext], Awaitable[Any]]) -> bool:
        try:
            await self.adapter.continue_conversation(reference, work, self.app_id)
        except HttpOperationError as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            log.warning("a proactive review message failed", extra={"status": status})
            return False
        return True
