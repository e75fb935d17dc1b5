"""The Slack edge of the OSPO review: turns clicks and modal submissions into ReviewDesk calls
and renders what it returns (`review_blocks`). Like every listener here, each acks first
and does its Web API calls in the background."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.advisor import Context, Turn
from bot.core.flow import FlowDefinition
from bot.core.replies import Result
from bot.core.reviews import Review, ReviewRefusedError, ReviewState
from bot.platforms.slack import review_blocks as blocks
from bot.platforms.slack.blocks import Message
from bot.platforms.slack.dialogue import Dialogue, Who
from bot.policy import Policy, needs_review
from bot.records import decision_record
from bot.review import Person, ReviewDesk
from bot.server import run_daily, spawn
from bot.store.base import Store, check_id

log = logging.getLogger(__name__)

CARDS = "slack.review_card"  # review id -> "channel|ts" of its card in the review channel
RERUNS = "slack.review_rerun"  # per user: conversation id of a re-run -> review id
SCHEDULE_AHEAD = timedelta(days=119)  # chat.scheduleMessage refuses more than 120 days ahead
Spawn = Callable[[Coroutine[Any, Any, None], str], object]  # server.spawn, bound to the app
ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


def _dig(data: Any, *path: str) -> str | None:
    for name in path:
        data = data.get(name) if isinstance(data, dict) else None
    return data if isinstance(data, str) else None


def _error_of(error: SlackApiError) -> str:
    """Slack's error code, also when the answer was not JSON (a proxy's 405, say)."""
    data = getattr(error.response, "data", None)
    return str(data.get("error")) if isinstance(data, dict) else "unexpected answer"


def _who(context: AsyncBoltContext, body: dict[str, Any]) -> Who | None:
    user, team = context.user_id, context.team_id or context.enterprise_id
    if not isinstance(user, str) or not user or not isinstance(team, str) or not team:
        return None
    return Who(team=team, user=user, name=_dig(body, "user", "username")
               or _dig(body, "user", "name"))


class SlackReviews:
    """Request, decide, re-run, remind: the review flow's listeners and renderings."""

    def __init__(self, desk: ReviewDesk, dialogue: Dialogue, spawn: Spawn) -> None:
        if desk.policy is None:
            raise ValueError("reviews need a policy")
        self.desk, self.dialogue, self.spawn = desk, dialogue, spawn
        self.policy: Policy = desk.policy
        self.store = desk.store

    def register(self, bolt: AsyncApp) -> None:
        """Attach the review listeners to the bolt app, and the hooks to the dialogue."""
        self.dialogue.reviews = self
        bolt.action(blocks.REQUEST)(self.on_request)
        bolt.action(blocks.RECORD)(self.on_record)
        bolt.action(blocks.RERUN)(self.on_rerun)
        bolt.action(re.compile(r"^review_(approve|changes|decline)$"))(self.on_decide)
        bolt.view(blocks.REQUEST_MODAL)(self.on_request_submitted)
        bolt.view(blocks.DECISION_MODAL)(self.on_decision_submitted)

    def _later(self, what: str, work: Coroutine[Any, Any, None]) -> None:
        self.spawn(work, f"slack review {what}")

    # --- listeners --------------------------------------------------------------------------

    async def on_request(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                         context: AsyncBoltContext) -> None:
        await ack()
        check, trigger = _dig(body["actions"][0], "value"), _dig(body, "trigger_id")
        if check and trigger and _who(context, body):
            self._later("modal", self._open(client, trigger, blocks.request_modal(check)))

    async def on_request_submitted(self, ack: AsyncAck, body: dict[str, Any],
                                   client: AsyncWebClient, context: AsyncBoltContext) -> None:
        name = _dig(body, "view", "state", "values", blocks.NAME_BLOCK, blocks.NAME_INPUT, "value")
        if not name or not name.strip():
            await ack(response_action="errors", errors={
                blocks.NAME_BLOCK: "Give the code a short name or its repository URL."})
            return
        await ack()
        who, check = _who(context, body), _dig(body, "view", "private_metadata")
        if who is not None and check:
            self._later("request", self.request(client, who, check, name))

    async def on_decide(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                        context: AsyncBoltContext) -> None:
        await ack()
        who, review_id = _who(context, body), _dig(body["actions"][0], "value")
        decision = blocks.DECIDE[body["actions"][0]["action_id"]]
        if who is not None and review_id:
            self._later("decide", self.open_decision(
                client, who, review_id, decision, trigger=_dig(body, "trigger_id"),
                channel=_dig(body, "container", "channel_id")))

    async def on_decision_submitted(self, ack: AsyncAck, body: dict[str, Any],
                                    client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await ack()
        who = _who(context, body)
        comment = _dig(body, "view", "state", "values", blocks.COMMENT_BLOCK,
                       blocks.COMMENT_INPUT, "value") or ""
        try:
            data = json.loads(_dig(body, "view", "private_metadata") or "")
            review_id, decision = str(data["r"]), ReviewState(data["d"])
        except (ValueError, KeyError, TypeError):
            log.warning("damaged review decision modal ignored")
            return
        if who is not None:
            self._later("decision", self.decide(client, who, review_id, decision, comment))

    async def on_rerun(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                       context: AsyncBoltContext) -> None:
        await ack()
        who, review_id = _who(context, body), _dig(body["actions"][0], "value")
        if who is not None and review_id:
            self._later("rerun", self.rerun(client, who, review_id, _dig(body, "trigger_id")))

    async def on_record(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                        context: AsyncBoltContext) -> None:
        await ack()
        who, check = _who(context, body), _dig(body["actions"][0], "value")
        if who is not None and check:
            self._later("record", self.record(client, who, check))

    # --- the work after the ack -------------------------------------------------------------

    async def _open(self, client: AsyncWebClient, trigger: str, view: dict[str, Any]) -> None:
        await client.views_open(trigger_id=trigger, view=view)

    async def request(self, client: AsyncWebClient, who: Who, check: str, name: str) -> None:
        """Open the review, post its card to the review channel, tell the requester."""
        try:
            review, created = await self.desk.request(check, Person(who.user, who.name), name)
        except ReviewRefusedError as refused:
            await self._tell(client, who.user, blocks.note(str(refused)))
            return
        channel = self.policy.slack.channel
        if not created or channel is None:
            note = ("This check already has a review: "
                    f"{review.state.value.replace('_', ' ')}." if not created else
                    "The policy names no Slack review channel; the reviewers find the request "
                    "in their App Home.")
            await self._tell(client, who.user, blocks.note(note))
            return
        problem = await self._post_card(client, review, channel)
        await self._tell(client, who.user, blocks.note(problem) if problem
                         else blocks.requested(review, channel))

    async def _post_card(self, client: AsyncWebClient, review: Review,
                         channel: str) -> str | None:
        return await post_card(client, self.store, self.dialogue.advisor.engine.flow, review,
                               channel)

    async def _card(self, review: Review) -> Message:
        return await review_card(self.store, self.dialogue.advisor.engine.flow, review)

    async def _update_card(self, client: AsyncWebClient, review: Review) -> None:
        where = (await self.store.get_records(CARDS, review.id)).get("card")
        if where is None:
            return
        channel, _, ts = where.partition("|")
        await client.chat_update(channel=channel, ts=ts, **(await self._card(review)).as_kwargs())

    async def may_decide(self, client: AsyncWebClient, user: str) -> bool:
        """Listed as a reviewer, or a member of the reviewer group (asked of Slack)."""
        group = self.policy.slack.reviewer_group
        if self.policy.is_slack_reviewer(user) or group is None:
            return self.policy.is_slack_reviewer(user)
        try:
            members = (await client.usergroups_users_list(usergroup=group)).get("users") or []
        except SlackApiError as error:
            log.warning("reviewer group not readable", extra={"kind": _error_of(error)})
            return False
        return self.policy.is_slack_reviewer(user, frozenset(members))

    async def open_decision(self, client: AsyncWebClient, who: Who, review_id: str,
                            decision: ReviewState, *, trigger: str | None,
                            channel: str | None) -> None:
        """A decision button: reviewers get the comment modal, anyone else a private no."""
        if not await self.may_decide(client, who.user):
            await self._whisper(client, who, channel, blocks.only_reviewers())
            return
        review = await self.store.reviews.get(review_id)
        if review is None or review.state is not ReviewState.PENDING or trigger is None:
            text = "That review was decided already; nothing changed." if review else \
                "That review no longer exists; nothing changed."
            await self._whisper(client, who, channel, blocks.note(text))
            return
        await client.views_open(trigger_id=trigger, view=blocks.decision_modal(review, decision))

    async def decide(self, client: AsyncWebClient, who: Who, review_id: str,
                     decision: ReviewState, comment: str) -> None:
        """Record the decision once, update the card, tell the requester."""
        allowed = await self.may_decide(client, who.user)
        try:
            review = await self.desk.decide(review_id, decision, Person(who.user, who.name),
                                            comment, may_decide=allowed)
        except ReviewRefusedError as refused:
            await self._tell(client, who.user, blocks.note(str(refused)))
            return
        await self._update_card(client, review)
        await self._tell(client, review.requester, blocks.decided(review))
        await self.dialogue.home(client, who)  # the reviewer's queue, without this one

    async def rerun(self, client: AsyncWebClient, who: Who, review_id: str,
                    trigger: str | None) -> None:
        """Start the check again with the reviewed check's answers as defaults."""
        review = await self.store.reviews.get(review_id)
        entry = await self.store.reviews.check(review.check_id) if review else None
        if review is None or entry is None or review.requester != who.user or \
                review.state is not ReviewState.CHANGES_REQUESTED:
            await self._tell(client, who.user, blocks.note(
                "Only the requester can run the check again, and only after the reviewers "
                "asked for changes; nothing changed."))
            return
        turn = await self.dialogue.advisor.start(
            who.key, Context(user_name=who.name), f"slack:{trigger}" if trigger else None,
            defaults=entry.answers)
        if turn.changed and turn.conversation is not None:
            await self.store.put_record(RERUNS, who.scope, turn.conversation.id, review.id)
        await self.dialogue.show(client, who, turn)

    async def after_result(self, client: AsyncWebClient, who: Who, turn: Turn) -> None:
        """Under a finished check: link a re-run to its review, or offer a review."""
        result = next((r for r in turn.replies if isinstance(r, Result)), None)
        if result is None or turn.conversation is None:
            return
        check = check_id(turn.conversation)
        review_id = (await self.store.get_records(RERUNS, who.scope)).get(turn.conversation.id)
        if review_id is not None:
            await self.store.delete_record(RERUNS, who.scope, turn.conversation.id)
            try:
                review = await self.desk.re_request(review_id, check, Person(who.user, who.name))
            except ReviewRefusedError as refused:
                await self._tell(client, who.user, blocks.note(str(refused)))
            else:
                await self._update_card(client, review)
                await self._tell(client, who.user, blocks.re_requested(review))
            return
        needed = needs_review(result.recommendation, self.policy)
        await self._tell(client, who.user, blocks.offer(check, needed=needed,
                                                        ospo=self.policy.company.ospo))

    async def record(self, client: AsyncWebClient, who: Who, check: str) -> None:
        """The decision record, in the requester's DM."""
        found = await self.desk.record(check)
        if found is None or (found.entry.user_id != who.user
                             and not await self.may_decide(client, who.user)):
            await self._tell(client, who.user, blocks.note("I found no check of yours with "
                                                           "that id."))
            return
        markdown = decision_record(found.entry, found.review, found.events,
                                   self.dialogue.advisor.engine.flow)
        await self._tell(client, who.user, blocks.record(markdown))

    async def home(self, client: AsyncWebClient, who: Who) -> list[dict[str, Any]]:
        """App Home's review sections: my checks with their status, and the reviewers' queue."""
        page = await self.store.history(user_id=who.user, workspace=who.team, platform="slack",
                                        limit=10)
        linked = await self.store.reviews.for_checks(
            [e.check_id for e in page.entries if e.check_id])
        mine = [(entry, linked.get(entry.check_id or "")) for entry in page.entries]
        queue = None
        if await self.may_decide(client, who.user):
            queue = await self.store.reviews.find(state=ReviewState.PENDING, platform="slack",
                                                  workspace=who.team)
        return blocks.home_sections(mine, queue)

    async def daily(self, client_for: ClientFor) -> None:
        """Chase waiting reviews in the review channel; schedule re-review reminders."""
        channel = self.policy.slack.channel
        for review in await self.desk.chase_due("slack"):
            client = await client_for(review.workspace)
            if client is not None and channel is not None:
                days = (review.chased_at - review.requested_at).days if review.chased_at else 0
                await client.chat_postMessage(channel=channel,
                                              **blocks.chase(review, days).as_kwargs())
        for review in await self.desk.rereviews_due("slack", ahead=SCHEDULE_AHEAD):
            client = await client_for(review.workspace)
            if client is not None and review.rereview_due is not None:
                # Slack refuses a time in the past (a server that was down on the day).
                post_at = max(review.rereview_due, self.desk.now() + timedelta(minutes=1))
                await client.chat_scheduleMessage(
                    channel=review.requester, post_at=int(post_at.timestamp()),
                    **blocks.rereview(review).as_kwargs())

    # --- messages ---------------------------------------------------------------------------

    async def _tell(self, client: AsyncWebClient, user: str, message: Message) -> None:
        await client.chat_postMessage(channel=user, **message.as_kwargs())

    async def _whisper(self, client: AsyncWebClient, who: Who, channel: str | None,
                       message: Message) -> None:
        """Only `who` sees it: ephemeral where they clicked, or in their DM (App Home)."""
        if channel is None:
            await self._tell(client, who.user, message)
        else:
            await client.chat_postEphemeral(channel=channel, user=who.user,
                                            **message.as_kwargs())


async def review_card(store: Store, flow: FlowDefinition, review: Review) -> Message:
    """The review's card as the review channel shows it."""
    entry = await store.reviews.check(review.check_id)
    if entry is None:  # the check was purged or erased; the review remains
        return blocks.note(f"OSPO review of {review.name}: {review.state.value}")
    return blocks.card(review, entry, flow)


async def post_card(client: AsyncWebClient, store: Store, flow: FlowDefinition, review: Review,
                    channel: str) -> str | None:
    """Post the review's card to the review channel and remember where, so a decision updates
    it; None, or what to tell the requester when Slack refused (also `review request`'s)."""
    message = await review_card(store, flow, review)
    try:
        posted = await client.chat_postMessage(channel=channel, **message.as_kwargs())
    except SlackApiError as error:
        log.warning("review card not posted", extra={"kind": _error_of(error)})
        return (f"Your review is recorded, but I could not post it in <#{channel}> "
                f"({_error_of(error)}): ask the OSPO to `/invite` me there. "
                "The reviewers also see it in their App Home.")
    await store.put_record(CARDS, review.id, "card", f"{posted['channel']}|{posted['ts']}")
    return None


def remind_daily(app: web.Application, bolt: AsyncApp, desk: ReviewDesk,
                 dialogue: Dialogue) -> None:
    """Chase waiting reviews and schedule re-review reminders once a day, with each
    workspace's own token (the single token, or the installation's)."""
    reviews = SlackReviews(desk, dialogue, lambda work, name: spawn(app, work, name))

    async def client_for(workspace: str) -> AsyncWebClient | None:
        store = bolt.installation_store
        if store is None:
            return bolt.client
        bot = await store.async_find_bot(enterprise_id=None, team_id=workspace)
        if bot is None or not bot.bot_token:
            return None
        return AsyncWebClient(token=bot.bot_token, base_url=bolt.client.base_url,
                              session=bolt.client.session,
                              retry_handlers=bolt.client.retry_handlers)

    run_daily(app, "slack review reminders", lambda: reviews.daily(client_for))
