"""What the Slack edge does after the ack: run the advisor's turn and show its replies in the DM.

Per-user Slack details (the DM channel, the open question's message, the default channel for the
summary) are small store records rather than conversation meta: updating meta bumps the
conversation's version, which would turn the buttons just posted into stale ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.advisor import Advisor, Context, Turn
from bot.core.conversation import Action, Inbound
from bot.core.engine import InvalidAnswerError, MissingAnswerError
from bot.core.outcomes import AnswerValue
from bot.core.replies import AskQuestion, Closed, Notice, Reply, Result
from bot.platforms.repeats import without_repeat
from bot.platforms.slack import blocks
from bot.report import build
from bot.store.base import ConversationKey

PLACES = "slack.user"
CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
SCHEDULE_LIMIT = timedelta(days=119)  # chat.scheduleMessage refuses more than 120 days ahead
Place = dict[str, str]
DAMAGED = "I could not read that button, so I changed nothing. Run the check again for a fresh one."
REPEAT_SECONDS = 60  # a second click on Post summary or Remind me within this is a repeat
ONCE = "slack.once"


def _once(what: str, now: datetime) -> tuple[str, str]:
    """A button's identity and the minute it was clicked in."""
    return (hashlib.sha256(what.encode()).hexdigest()[:24],
            str(int(now.timestamp()) // REPEAT_SECONDS))


class ReviewHooks(Protocol):
    """What the OSPO review adds to the dialogue (`review.SlackReviews`)."""

    async def after_result(self, client: AsyncWebClient, who: Who, turn: Turn) -> None:
        """Under a finished check: offer a review, or link a re-run to its review."""

    async def home(self, client: AsyncWebClient, who: Who) -> list[dict[str, Any]]:
        """App Home blocks: my checks with their review status, the reviewers' queue."""


@dataclass(frozen=True, slots=True)
class Who:
    """The Slack user a request is from, and their workspace."""

    team: str
    user: str
    name: str | None = None

    @property
    def key(self) -> ConversationKey:
        """Each user has one check, in their DM with the bot."""
        return ConversationKey("slack", self.team, "dm", self.user)

    @property
    def scope(self) -> str:
        """Where this user's Slack details are kept in the store's records."""
        return f"{self.team}:{self.user}"


def _summary_value(value: str) -> dict[str, Any] | None:
    """A Post summary button's data (runner, default channel, answers); None when damaged."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), str):
        return None
    answers, channel = data.get("a"), data.get("c")
    if not isinstance(answers, dict) or not all(_is_answer(v) for v in answers.values()):
        return None
    return data if channel is None or isinstance(channel, str) else None


def _is_answer(value: object) -> bool:
    """An option id, or a list of them (a question that takes several answers)."""
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(item, str) for item in value))


def _event(event_id: str | None) -> str | None:
    return f"slack:{event_id}" if event_id else None


class Dialogue:
    """Runs advisor turns for Slack users and renders the replies with the Web API."""

    def __init__(self, advisor: Advisor) -> None:
        self.advisor = advisor
        self.reviews: ReviewHooks | None = None  # set when the company policy enables reviews

    async def show(self, client: AsyncWebClient, who: Who, turn: Turn) -> None:
        """Render a turn another use case started (a check run again after a review)."""
        await self._render(client, who, await self._place(who), turn)

    async def command(self, client: AsyncWebClient, who: Who, sub: str, channel: str | None,
                      event_id: str | None) -> None:
        """/opensource-check [restart|cancel], or a start button."""
        place = await self._place(who)
        if channel and not channel.startswith("D"):
            await self._remember(who, place, summary_channel=channel)
        if sub == "start":
            turn = await self.advisor.start(who.key, self._context(who, place), _event(event_id))
        else:
            current = await self.advisor.current(who.key)
            if sub == "cancel" and (current is None or not current.active):
                return
            action: Action = "restart" if sub == "restart" else "cancel"
            turn = await self.advisor.handle(who.key, Inbound(action=action),
                                             self._context(who, place), _event(event_id))
        await self._render(client, who, place, turn)

    async def typed(self, client: AsyncWebClient, who: Who, text: str, dm: str,
                    event_id: str | None, *, start: bool) -> None:
        """A message typed in the DM: a greeting starts (or resumes), anything else is input."""
        place = await self._place(who)
        if place.get("dm") != dm:
            await self._remember(who, place, dm=dm)
        context = self._context(who, place)
        turn = (await self.advisor.start(who.key, context, _event(event_id)) if start else
                await self.advisor.handle(who.key, Inbound.typed(text), context, _event(event_id)))
        await self._render(client, who, place, turn)

    async def click(self, client: AsyncWebClient, who: Who, action: str, ref: str, *,
                    option: str | None, clicked: tuple[str | None, str | None, str | None],
                    ticked: tuple[str, ...] | None = None) -> None:
        """A button on a question: an answer, help, back or cancel; or Continue under the
        checkboxes of a question that takes several answers (`ticked`, empty for none)."""
        channel, ts, trigger = clicked
        inbound = Inbound(action=action, ref=ref, option=option, options=ticked)
        # The click names its channel, so the turn need not wait for the user's records.
        context = Context(channel=channel or "", user_name=who.name)
        place, turn = await asyncio.gather(
            self._place(who), self.advisor.handle(who.key, inbound, context, _event(trigger)))
        turn = without_repeat(turn, inbound)  # a double click says nothing the second time
        if channel and turn.changed:  # a stale or forged click must not move the user's DM
            await self._remember(who, place, dm=channel)
        await self._render(client, who, place, turn, clicked_ts=ts, quiet=action == "help")

    async def history(self, who: Who, respond: AsyncRespond) -> None:
        """The user's recent results, answered ephemerally where the command was typed."""
        page = await self.advisor.store.history(user_id=who.user, workspace=who.team,
                                                platform="slack", limit=10)
        await respond(text=blocks.history(page.entries), response_type="ephemeral")

    async def home(self, client: AsyncWebClient, who: Who) -> None:
        """Publish the App Home tab."""
        page = await self.advisor.store.history(user_id=who.user, workspace=who.team,
                                                platform="slack", limit=10)
        view = blocks.home(page.entries, self.advisor.engine.flow.intro)
        if self.reviews is not None:
            view["blocks"] += await self.reviews.home(client, who)
        await client.views_publish(user_id=who.user, view=view)

    async def tell(self, client: AsyncWebClient, who: Who, dm: str | None, text: str) -> None:
        """A short note only this user sees (e.g. that their click could not be saved)."""
        await self._whisper(client, who, dm, blocks.note(text))

    async def _repeated(self, who: Who, event_id: str | None, what: str) -> bool | None:
        """None for a retried delivery (do nothing), True for a second click on the same button
        within the minute (say so), False for the first (act). Both checks are atomic in the
        store, so a double click posts once whichever replica gets which click; a click after
        a failed attempt (see `_failed`) acts again."""
        store, now = self.advisor.store, datetime.now(UTC)
        if event_id is not None and not await store.first_time(f"slack:{event_id}", now):
            return None
        digest, minute = _once(what, now)
        if await store.first_time(f"{ONCE}:{who.scope}:{digest}:{minute}", now):
            return False
        if (await store.get_records(ONCE, who.scope)).get(digest) == minute:
            await store.delete_record(ONCE, who.scope, digest)
            return False
        return True

    async def _failed(self, who: Who, what: str) -> None:
        """The attempt claimed by `_repeated` did not happen: let the next click try again."""
        digest, minute = _once(what, datetime.now(UTC))
        await self.advisor.store.put_record(ONCE, who.scope, digest, minute)

    async def post_summary(self, client: AsyncWebClient, who: Who, value: str,
                           chosen: str | None, dm: str | None, *,
                           event_id: str | None = None) -> None:
        """Post a result's summary to the chosen channel, on behalf of the person who ran it.

        One post per click: a replayed delivery does nothing, a second click within a minute
        is told the summary was already posted.
        """
        data = _summary_value(value)
        if data is None:
            await self._whisper(client, who, dm, blocks.note(DAMAGED))
            return
        channel = chosen or data.get("c")
        problem = self._cannot_post_yet(who, data["u"], channel)
        if problem is None:
            what = f"post|{channel}|{value}"
            repeated = await self._repeated(who, event_id, what)
            if repeated is None:
                return
            if repeated:
                problem = f"Already posted to <#{channel}> a moment ago."
            else:
                try:
                    problem = await self._post(client, who, data, channel or "")
                except Exception:
                    await self._failed(who, what)
                    raise
                if not problem.startswith("Posted"):
                    await self._failed(who, what)
        await self._whisper(client, who, dm, blocks.note(problem))

    def _cannot_post_yet(self, who: Who, runner: str, channel: str | None) -> str | None:
        if who.user != runner:
            return f"Only <@{runner}>, who ran this check, can post its summary."
        if not channel:
            return "Pick a channel in the menu first, then press *Post summary*."
        return None

    async def _post(self, client: AsyncWebClient, who: Who, data: dict[str, Any],
                    channel: str) -> str:
        try:
            _, rec = self.advisor.engine.assess(data["a"])
        except (InvalidAnswerError, MissingAnswerError):
            return "The questions have changed since this check; run it again to post a summary."
        try:
            report = build(rec, self.advisor.engine.flow)
            await client.chat_postMessage(channel=channel,
                                          **blocks.summary(report, data["u"]).as_kwargs())
        except SlackApiError as error:
            if error.response.get("error") in CANNOT_POST:
                return blocks.cannot_post(channel, str(error.response["error"]))
            raise
        await self._remember(who, await self._place(who), summary_channel=channel)
        return f"Posted the summary to <#{channel}>."

    async def remind(self, client: AsyncWebClient, who: Who, action: str, value: str,
                     dm: str | None, *, event_id: str | None = None) -> None:
        """Schedule a reminder in the DM; Slack keeps the schedule, not us. Idempotent like
        Post summary: one reminder per click, whatever is replayed or clicked twice."""
        now = datetime.now(UTC)
        try:
            due = (now + timedelta(days=round(int(value) * 30.44)) if action == "remind"
                   else datetime.fromtimestamp(int(value), UTC))
        except (ValueError, OverflowError, OSError):  # not a number, or not a date
            await self._whisper(client, who, dm, blocks.note(DAMAGED))
            return
        what = f"{action}|{value}"
        repeated = await self._repeated(who, event_id, what)
        if repeated is None:
            return
        if repeated:
            await self._whisper(client, who, dm, blocks.note(
                f"Already done: I will remind you here on {due:%Y-%m-%d}."))
            return
        post_at = max(min(due, now + SCHEDULE_LIMIT), now + timedelta(minutes=1))  # a late click
        message = blocks.reminder(due, rearm=post_at < due)
        try:
            await client.chat_scheduleMessage(channel=dm or who.user,
                                              post_at=int(post_at.timestamp()),
                                              **message.as_kwargs())
        except Exception:
            await self._failed(who, what)
            raise
        note = f"I will remind you here on {due:%Y-%m-%d}."
        if post_at < due:
            note = (f"Slack schedules at most 120 days ahead, so I will check in on "
                    f"{post_at:%Y-%m-%d} and offer to remind you on {due:%Y-%m-%d}.")
        await self._whisper(client, who, dm, blocks.note(note))

    # --- rendering --------------------------------------------------------------------------

    async def _render(self, client: AsyncWebClient, who: Who, place: Place, turn: Turn, *,
                      clicked_ts: str | None = None, quiet: bool = False) -> None:
        if turn.duplicate:
            return

        async def post_in_order() -> None:
            for reply in turn.replies:
                if not isinstance(reply, Closed):
                    await self._show(client, who, place, reply, clicked_ts=clicked_ts,
                                     quiet=quiet)

        # Updating the answered message and posting what follows are independent calls: make
        # them at once, so a turn waits for one Web API round trip rather than two.
        updates = [self._show(client, who, place, reply, clicked_ts=clicked_ts, quiet=quiet)
                   for reply in turn.replies if isinstance(reply, Closed)]
        await asyncio.gather(self._retire_reasked(client, place, turn), *updates,
                             post_in_order())
        if self.reviews is not None and turn.changed:
            await self.reviews.after_result(client, who, turn)

    async def _show(self, client: AsyncWebClient, who: Who, place: Place, reply: Reply, *,
                    clicked_ts: str | None, quiet: bool) -> None:
        dm = place.get("dm", who.user)
        if isinstance(reply, AskQuestion):
            sent = await client.chat_postMessage(channel=dm,
                                                 **blocks.question(reply).as_kwargs())
            await self._remember(who, place, dm=str(sent["channel"]), question_ts=str(sent["ts"]),
                                 question_ref=reply.ref)
        elif isinstance(reply, Closed):
            ts = clicked_ts or place.get("question_ts")
            if ts is not None and "dm" in place:
                await client.chat_update(channel=dm, ts=ts, **blocks.closed(reply).as_kwargs())
        elif isinstance(reply, Notice):
            if quiet or reply.level == "stale":
                await self._whisper(client, who, place.get("dm"), blocks.notice(reply))
            else:
                await client.chat_postMessage(channel=dm, **blocks.notice(reply).as_kwargs())
        elif isinstance(reply, Result):
            rec = reply.recommendation
            answers: dict[str, AnswerValue] = dict(reply.answers)
            await client.chat_postMessage(channel=dm, **blocks.result(
                rec, build(rec, self.advisor.engine.flow), runner=who.user, answers=answers,
                summary_channel=place.get("summary_channel"),
                review_months=rec.review_in_months).as_kwargs())

    async def _retire_reasked(self, client: AsyncWebClient, place: Place, turn: Turn) -> None:
        """On a resume the open question is asked again below: take the buttons off the old one."""
        asked = next((r for r in turn.replies if isinstance(r, AskQuestion)), None)
        if (asked is None or any(isinstance(r, Closed) for r in turn.replies)
                or asked.ref != place.get("question_ref") or "question_ts" not in place):
            return
        moved = Closed(ref=asked.ref, prompt=asked.question.prompt, note="Asked again below")
        await client.chat_update(channel=place["dm"], ts=place["question_ts"],
                                 **blocks.closed(moved).as_kwargs())

    async def _whisper(self, client: AsyncWebClient, who: Who, dm: str | None,
                       message: blocks.Message) -> None:
        """An ephemeral note in the DM (only the user sees it, and it does not pile up)."""
        if dm is None:
            await client.chat_postMessage(channel=who.user, **message.as_kwargs())
        else:
            await client.chat_postEphemeral(channel=dm, user=who.user, **message.as_kwargs())

    # --- per-user Slack details -------------------------------------------------------------

    def _context(self, who: Who, place: Place) -> Context:
        return Context(channel=place.get("dm", ""), user_name=who.name)

    async def _place(self, who: Who) -> Place:
        return await self.advisor.store.get_records(PLACES, who.scope)

    async def _remember(self, who: Who, place: Place, **values: str) -> None:
        changed = {name: value for name, value in values.items() if place.get(name) != value}
        if changed:  # written together: one store transaction, not one per field
            place.update(changed)
            await self.advisor.store.put_records(PLACES, who.scope, changed)
