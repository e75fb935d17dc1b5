"""The one use case every front end calls: load the conversation, advance it, save it, reply.

Saving is a compare-and-set on the conversation's version, so two replicas (or two clicks)
racing on one conversation can never both apply a turn: the loser reloads and re-applies its
input to the winner's result, where a repeated click is recognised as stale.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.conversation import Conversation, Inbound
from bot.core.engine import Engine, Step, command_of
from bot.core.flow import Answers
from bot.core.replies import Notice, Reply, Result
from bot.observability import CHECKS_COMPLETED, CHECKS_STARTED, ERRORS, OUTCOMES, TURNS
from bot.policy import Policy, apply_policy
from bot.ratelimit import RateLimiter
from bot.store.base import (
    ConflictError,
    ConversationKey,
    DuplicateError,
    HistoryEntry,
    Store,
    check_id,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Context:
    """Who and where, for the history: the display name and channel when the platform knows."""

    channel: str = ""
    user_name: str | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """What a front end renders: the replies, and the conversation after the turn."""

    replies: list[Reply] = field(default_factory=list)
    conversation: Conversation | None = None
    duplicate: bool = False  # a retried delivery: do nothing at all
    changed: bool = False  # the turn saved a new conversation (not stale, not a no-op)


def utc_now() -> datetime:
    """The production clock."""
    return datetime.now(UTC)


def new_conversation_id() -> str:
    """A short random id: it appears in every button, so stale ones are told apart."""
    return uuid.uuid4().hex[:12]


class Advisor:
    """Runs turns for any platform against the store."""

    def __init__(self, engine: Engine, store: Store, *, clock: Callable[[], datetime] = utc_now,
                 new_id: Callable[[], str] = new_conversation_id,
                 limiter: RateLimiter | None = None, policy: Policy | None = None) -> None:
        self.engine = engine
        self.store = store
        self.policy = policy
        self._clock = clock
        self._new_id = new_id
        self._limiter = limiter or RateLimiter()

    async def start(self, key: ConversationKey, context: Context = Context(),
                    event_id: str | None = None, defaults: Answers | None = None) -> Turn:
        """Begin a check, or offer to resume the unfinished one. With `defaults` (a check run
        again after an OSPO review asked for changes) a new check starts at once, offering the
        earlier answers as the defaults."""
        user = f"{key.platform}:{key.workspace}:{key.user}"
        if not self._limiter.allow(user):
            ERRORS.labels(kind="rate_limited").inc()
            wait = self._limiter.retry_after(user)
            return Turn([Notice(text=f"You are starting checks faster than I can keep up; please "
                                     f"try again in {wait} seconds.", level="error")])
        if defaults is not None:
            return await self._run(key, context, event_id,
                                   lambda stored, now: self._again(stored, now, defaults))
        return await self._run(key, context, event_id, self._begin)

    async def handle(self, key: ConversationKey, inbound: Inbound, context: Context = Context(),
                     event_id: str | None = None) -> Turn:
        """Apply one input; with no live conversation, typed text starts one, clicks are stale."""

        def turn(conversation: Conversation | None, now: datetime) -> Step:
            if conversation is not None:
                return self.engine.advance(conversation, inbound, now)
            if inbound.ref is not None:
                return Step(_placeholder(now), [_EXPIRED], changed=False)
            if command_of(inbound.text or "") in ("cancel", "back", "help"):
                return Step(_placeholder(now), [_NO_CHECK], changed=False)
            return self._begin(None, now)

        return await self._run(key, context, event_id, turn)

    async def current(self, key: ConversationKey) -> Conversation | None:
        """The stored conversation, if any (for rendering summaries and App Home)."""
        return await self.store.load(key, self._clock())

    def _begin(self, conversation: Conversation | None, now: datetime) -> Step:
        if conversation is not None and conversation.active:
            resume = Notice(text="You have an unfinished check; here is where you left off "
                                 "(type restart to start over).")
            return Step(conversation, [resume, self.engine.ask(conversation)], changed=False)
        started = self.engine.start(self._new_id(), now).conversation
        if conversation is not None:  # keep versions rising so the old buttons stay stale
            started = started.model_copy(update={"version": conversation.version + 1})
        intro = Notice(text=self.engine.flow.intro)
        return Step(started, [intro, self.engine.ask(started)])

    def _again(self, conversation: Conversation | None, now: datetime,
               defaults: Answers) -> Step:
        started = self.engine.start(self._new_id(), now).conversation
        version = conversation.version + 1 if conversation is not None else 0
        started = started.model_copy(update={"answers": dict(defaults), "version": version})
        return Step(started, [Notice(text=self.engine.flow.intro), self.engine.ask(started)])

    def _with_policy(self, step: Step) -> Step:
        """The company policy applied to a result, after the core's pure recommendation."""
        if self.policy is None or not any(isinstance(r, Result) for r in step.replies):
            return step
        replies: list[Reply] = [
            Result(apply_policy(r.recommendation, self.policy), r.answers)
            if isinstance(r, Result) else r for r in step.replies]
        return Step(step.conversation, replies, step.changed)

    async def _run(self, key: ConversationKey, context: Context, event_id: str | None,
                   turn: Callable[[Conversation | None, datetime], Step]) -> Turn:
        """Load, apply, save: the delivery's event id is claimed by the save itself (one store
        transaction), or on its own when the turn saves nothing, so a retried delivery is
        dropped either way and a new one costs a read and a write."""
        now = self._clock()
        stored = await self.store.load(key, now)
        for attempt in range(MAX_ATTEMPTS):
            if attempt > 0:
                now = self._clock()
                stored = await self.store.load(key, now)
            step = self._with_policy(turn(stored, now))
            if not step.changed:
                if event_id is not None and not await self.store.first_time(event_id, now):
                    return _duplicate(event_id)
                return Turn(step.replies, stored)
            finished = self._finished(key, context, step, now)
            try:
                # The check's history entry goes with the save that finishes it: atomically.
                await self.store.save(key, step.conversation,
                                      stored.version if stored else None, now, finished,
                                      event=event_id)
            except ConflictError:
                continue  # someone else saved first: re-apply to their result
            except DuplicateError:
                return _duplicate(event_id)
            _count(key.platform, stored, step.conversation, finished)
            return Turn(step.replies, step.conversation, changed=True)
        return Turn([Notice(text="Too many changes at once; please try again.", level="error")])

    def _finished(self, key: ConversationKey, context: Context, step: Step,
                  now: datetime) -> HistoryEntry | None:
        result = next((r for r in step.replies if isinstance(r, Result)), None)
        if result is None:
            return None
        conversation = step.conversation
        return HistoryEntry(
            platform=key.platform, workspace=key.workspace,
            channel=context.channel or key.conversation, user_id=key.user,
            user_name=context.user_name, completed_at=now, flow=conversation.flow,
            flow_version=conversation.flow_version, answers=result.answers,
            recommendation=result.recommendation, check_id=check_id(conversation))


def _duplicate(event_id: str | None) -> Turn:
    if log.isEnabledFor(logging.INFO):
        log.info("duplicate delivery dropped", extra={"event_id": event_id})
    return Turn(duplicate=True)


def _count(platform: str, before: Conversation | None, after: Conversation,
           finished: HistoryEntry | None) -> None:
    TURNS.labels(platform=platform).inc()
    if before is None or before.started_at != after.started_at:  # a new check or a restart
        CHECKS_STARTED.labels(platform=platform).inc()
    if finished is not None:
        CHECKS_COMPLETED.labels(platform=platform).inc()
        OUTCOMES.labels(path=finished.recommendation.path.value).inc()


_NO_CHECK = Notice(text="There is no check in progress. Type start to begin one; it takes about "
                        "ten questions.")
_EXPIRED = Notice(text="That check has expired or no longer exists; nothing changed. Start a new "
                       "one whenever you like.", level="stale")


def _placeholder(now: datetime) -> Conversation:
    # Steps always carry a conversation; an unchanged step for a missing one is never saved.
    return Conversation(id="none", flow="", flow_version=0, state="cancelled", started_at=now,
                        updated_at=now)


