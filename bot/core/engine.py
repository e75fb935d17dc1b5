"""The conversation engine: one transitions machine per flow, advancing many conversations.

`Engine.advance` is the pure heart of the product: (conversation, inbound, now) -> (new
conversation, replies). It does no I/O and never mutates its input.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from transitions import Machine

from bot.core.advice import recommend
from bot.core.answers import (
    InvalidAnswerError,
    parse_typed,
    read_answers,
    selection,
    upgrade_answers,
)
from bot.core.conditions import CONDITIONS
from bot.core.conversation import CANCELLED, Conversation, Inbound
from bot.core.flow import DONE, Answers, Condition, FlowDefinition, Question, load_flow, normalise
from bot.core.outcomes import AnswerValue, Recommendation
from bot.core.replies import AskQuestion, Closed, Notice, Progress, Reply, Result

COMMANDS: dict[str, str] = {
    "back": "back", "previous": "back", "undo": "back",
    "restart": "restart", "start over": "restart", "start again": "restart", "reset": "restart",
    "cancel": "cancel", "stop": "cancel", "quit": "cancel", "exit": "cancel",
    "help": "help", "?": "help", "why": "help", "options": "help",
}


QUESTIONS_CHANGED = ("The questions have changed since this check began. It goes on from the "
                     "first new question, with your earlier answers offered as defaults.")


class MissingAnswerError(LookupError):
    """A walk of the flow reached a question the answers do not cover."""

    def __init__(self, question: str) -> None:
        super().__init__(question)
        self.question = question


__all__ = ["Engine", "InvalidAnswerError", "MissingAnswerError", "Step", "command_of"]


@dataclass(frozen=True)
class Step:
    """The result of one turn. `changed` is False when nothing needs saving."""

    conversation: Conversation
    replies: list[Reply] = field(default_factory=list)
    changed: bool = True


class _Cursor:
    """The model the machine moves between states."""

    state: str


class Engine:
    """A flow's state machine, built once, shared by every conversation of that flow."""

    def __init__(self, flow: FlowDefinition, conditions: dict[str, Condition] = CONDITIONS) -> None:
        self.flow = flow
        self._conditions = conditions
        self._machine = Machine(model=None, auto_transitions=False, **self.machine_config)
        self._next = self._machine.events["next"]
        # Adding and removing a model per turn costs ~35 us; reusing one cursor per thread and
        # setting its state costs ~5 us. One per thread keeps the engine safe to share.
        self._local = threading.local()
        self.options = {q.id: [o.id for o in q.options] for q in flow.questions}
        self._words = {q.id: _answer_words(q) for q in flow.questions}
        self._most_left = _most_questions_left(flow)

    @classmethod
    def default(cls) -> Engine:
        """The opensource-check flow shipped with the package."""
        return cls(load_flow(flows_dir() / "opensource_check.yaml", CONDITIONS))

    @cached_property
    def machine_config(self) -> dict[str, Any]:
        """States and transitions for transitions' Machine, straight from the flow data."""
        transitions = [
            {"trigger": "next", "source": q.id, "dest": route.to,
             "conditions": [self._conditions[route.when]] if route.when else []}
            for q in self.flow.questions for route in q.next
        ]
        states = [q.id for q in self.flow.questions] + [DONE]
        return {"states": states, "transitions": transitions, "initial": self.flow.start}

    # --- walking the flow -------------------------------------------------------------------

    def next_state(self, question: str, answers: Answers) -> str:
        """Where the flow goes after `question`, given the answers so far."""
        cursor: _Cursor | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = _Cursor()
            self._machine.add_model(cursor)
        self._machine.set_state(question, model=cursor)
        self._next.trigger(cursor, answers)
        return cursor.state

    def remaining(self, state: str, answers: Answers) -> list[str]:
        """The questions from `state` on that this path will ask, as far as the answers tell."""
        path = []
        while state != DONE:
            path.append(state)
            state = self.next_state(state, answers)
        return path

    def walk(self, answers: Answers) -> list[str]:
        """The questions complete answers go through; MissingAnswerError if one is absent."""
        asked = self.remaining(self.flow.start, answers)
        for question in asked:
            if question not in answers:
                raise MissingAnswerError(question)
        return asked

    def assess(self, raw: Mapping[str, object]) -> tuple[list[str], Recommendation]:
        """Validate an answers mapping (version 1 or 2), walk it, and recommend. Answers to
        questions the walk skips are ignored; unknown questions or options are refused."""
        answers = read_answers(self.flow, raw)
        asked = self.walk(answers)
        return asked, recommend({q: answers[q] for q in asked}, asked, self.flow)

    def upgrade(self, conversation: Conversation) -> Conversation:
        """A conversation saved under an older flow version, in this version's terms.

        Answers the old version folded together are split (bot/core/answers.py). A check still
        under way is walked again through this version's routes with the answers it has: it
        continues at the first question of its path that it has not answered, which may be a new
        question placed before the one it was at; answers given after that point become the
        defaults offered when they are asked again. Only then does its version (and so the ref
        its buttons carry) move on; otherwise the buttons on screen stay valid.
        """
        if conversation.flow_version >= self.flow.version:
            return conversation
        answers = upgrade_answers(conversation.answers)
        confirmed = {*conversation.asked, *(answers.keys() - conversation.answers.keys())}
        update: dict[str, Any] = {"answers": answers, "flow_version": self.flow.version}
        if not conversation.active:
            added = answers.keys() - conversation.answers.keys()
            update["asked"] = [*conversation.asked, *sorted(added)]
            return conversation.model_copy(update=update)
        state, asked = self.flow.start, []
        while state != DONE and state in confirmed:
            asked.append(state)
            state = self.next_state(state, answers)
        update |= {"asked": asked, "state": state}
        if state != conversation.state:
            update["version"] = conversation.version + 1
        return conversation.model_copy(update=update)

    # --- one turn ---------------------------------------------------------------------------

    def start(self, conversation_id: str, now: datetime) -> Step:
        """A new conversation at the first question."""
        conversation = Conversation(id=conversation_id, flow=self.flow.id,
                                    flow_version=self.flow.version, state=self.flow.start,
                                    started_at=now, updated_at=now)
        return Step(conversation, [self.ask(conversation)])

    def advance(  # noqa: PLR0911  (one return per kind of input reads best as a dispatch)
        self, conversation: Conversation, inbound: Inbound, now: datetime
    ) -> Step:
        """Apply one inbound message to a conversation and say what to reply."""
        upgraded = self.upgrade(conversation)
        if upgraded.state != conversation.state:
            return Step(upgraded, [Notice(text=QUESTIONS_CHANGED),
                                   self.result(upgraded) if upgraded.finished else
                                   self.ask(upgraded)])
        conversation = upgraded
        if inbound.ref is not None and inbound.ref != conversation.ref:
            return _unchanged(conversation, _stale(conversation))
        action, option = self._interpret(conversation, inbound)
        if action == "restart":
            return self._restart(conversation, now)
        if action == "help":
            return _unchanged(conversation, Notice(text=self.help_text(conversation)))
        if not conversation.active:
            return _unchanged(conversation, _stale(conversation))
        if action == "cancel":
            return self._cancel(conversation, now)
        if action == "back":
            return self._back(conversation, now)
        if option is None:
            return _unchanged(conversation, self._not_understood(conversation, inbound))
        return self._answer(conversation, option, now)

    def progress(self, conversation: Conversation) -> Progress:
        """Question N of at most M: M is the longest any remaining path could be, so it only
        shrinks as the user answers (a prediction from the answers so far would swing)."""
        asked = len(conversation.asked)
        return Progress(index=asked + 1, total=asked + self._most_left[conversation.state])

    def ask(self, conversation: Conversation) -> AskQuestion:
        """The reply that (re-)asks the conversation's current question."""
        question = self.flow.by_id[conversation.state]
        return AskQuestion(question=question, progress=self.progress(conversation),
                           ref=conversation.ref, previous=conversation.answers.get(question.id),
                           can_go_back=bool(conversation.asked))

    def result(self, conversation: Conversation) -> Result:
        """The recommendation of a finished conversation."""
        conversation = self.upgrade(conversation)
        answers = {q: conversation.answers[q] for q in conversation.asked}
        return Result(recommendation=recommend(answers, conversation.asked, self.flow),
                      answers=answers)

    def help_text(self, conversation: Conversation) -> str:
        """Why the current question matters and how to answer it."""
        commands = "Type back, restart or cancel at any time."
        if not conversation.active:
            return f"This check has ended. Type restart to begin a new one. {commands}"
        question = self.flow.by_id[conversation.state]
        return f"Why we ask: {question.why}\n{_choices(question)}\n{commands}"

    # --- the turn's cases -------------------------------------------------------------------

    def _interpret(self, conversation: Conversation,
                   inbound: Inbound) -> tuple[str | None, AnswerValue | None]:
        if inbound.action is not None:
            return inbound.action, _clicked_answer(inbound)
        text = normalise(inbound.text or "")
        command = command_of(text)
        if command is not None:
            return command, None
        if not conversation.active:
            return None, None
        question = self.flow.by_id[conversation.state]
        words = self._words[question.id]
        if question.multiple:
            return "answer", parse_typed(words, inbound.text or "")
        return "answer", words.get(text)

    def _answer(self, conversation: Conversation, given: AnswerValue, now: datetime) -> Step:
        question = self.flow.by_id[conversation.state]
        try:
            answer = self._check(question, given)
        except InvalidAnswerError as error:
            return _unchanged(conversation, Notice(text=f"{_sentence(str(error))} "
                                                  f"{_choices(question)}", level="error"))
        answers = {**conversation.answers, question.id: answer}
        updated = _evolve(conversation, now, answers=answers,
                          asked=[*conversation.asked, question.id],
                          state=self.next_state(question.id, answers))
        closed = Closed(ref=conversation.ref, prompt=question.prompt,
                        note=question.labels(answer), answered=True)
        follow_up = self.result(updated) if updated.finished else self.ask(updated)
        return Step(updated, [closed, follow_up])

    @staticmethod
    def _check(question: Question, given: AnswerValue) -> AnswerValue:
        """The answer in canonical form, or InvalidAnswerError worded for the user."""
        if question.multiple:
            return selection(question, [given] if isinstance(given, str) else given)
        if isinstance(given, list) or question.option(given) is None:
            raise InvalidAnswerError("That is not an answer to this question.")
        return given

    def _back(self, conversation: Conversation, now: datetime) -> Step:
        if not conversation.asked:
            return _unchanged(conversation, Notice(text="This is the first question; there is "
                                                   "nothing to go back to."))
        updated = _evolve(conversation, now, state=conversation.asked[-1],
                          asked=conversation.asked[:-1])
        closed = Closed(ref=conversation.ref, prompt=self.flow.by_id[conversation.state].prompt,
                        note="Went back to the previous question")
        return Step(updated, [closed, self.ask(updated)])

    def _restart(self, conversation: Conversation, now: datetime) -> Step:
        updated = _evolve(conversation, now, state=self.flow.start, answers={}, asked=[],
                          started_at=now, flow_version=self.flow.version)
        replies: list[Reply] = [Notice(text="Starting over.")]
        if conversation.active:
            replies.insert(0, Closed(ref=conversation.ref,
                                     prompt=self.flow.by_id[conversation.state].prompt,
                                     note="Started over"))
        return Step(updated, [*replies, self.ask(updated)])

    def _cancel(self, conversation: Conversation, now: datetime) -> Step:
        updated = _evolve(conversation, now, state=CANCELLED)
        closed = Closed(ref=conversation.ref, prompt=self.flow.by_id[conversation.state].prompt,
                        note="Cancelled")
        return Step(updated, [closed, Notice(text="Check cancelled. Start a new one whenever you "
                                                  "like.")])

    def _not_understood(self, conversation: Conversation, inbound: Inbound) -> Notice:
        question = self.flow.by_id[conversation.state]
        typed = (inbound.text or "").strip()[:60]
        return Notice(text=f"Sorry, I did not understand \u201c{typed}\u201d. {_choices(question)}",
                      level="error")


def command_of(text: str) -> str | None:
    """The command a typed text asks for (back, restart, cancel, help), if any."""
    return COMMANDS.get(normalise(text))


def _answer_words(question: Question) -> dict[str, str]:
    """Every typed form of each option (number, id, label, synonyms), normalised, to its id."""
    words = {}
    for number, option in enumerate(question.options, start=1):
        forms = (str(number), option.id, option.id.replace("_", " "), option.label,
                 *option.synonyms)
        words.update({normalise(form): option.id for form in forms})
    return words


def _choices(question: Question) -> str:
    listed = "; ".join(f"{i}. {o.label}" for i, o in enumerate(question.options, start=1))
    if question.multiple:
        return f"Choose all that apply, separated by commas (for example 1, 3): {listed}."
    return f"Choose one of: {listed}."


def _clicked_answer(inbound: Inbound) -> AnswerValue | None:
    """What a button or a submitted set of checkboxes answers (None for other actions)."""
    if inbound.action != "answer":
        return None
    return list(inbound.options) if inbound.options is not None else inbound.option


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."


def _most_questions_left(flow: FlowDefinition) -> dict[str, int]:
    """For each state, the most questions any path from it could still ask (itself included)."""
    longest: dict[str, int] = {DONE: 0, CANCELLED: 0}

    def visit(state: str) -> int:
        if state not in longest:
            longest[state] = 1 + max(visit(route.to) for route in flow.by_id[state].next)
        return longest[state]

    for question in flow.questions:
        visit(question.id)
    return longest


def _stale(conversation: Conversation) -> Notice:
    if conversation.finished:
        text = "This check is already finished. Type restart to begin a new one."
    elif conversation.state == CANCELLED:
        text = "This check was cancelled. Type restart to begin a new one."
    else:
        text = "That button belongs to a question that has already been answered; nothing changed."
    return Notice(text=text, level="stale")


def _unchanged(conversation: Conversation, reply: Reply) -> Step:
    return Step(conversation, [reply], changed=False)


def _evolve(conversation: Conversation, now: datetime, **changes: Any) -> Conversation:
    """A copy with the changes, one version later."""
    return conversation.model_copy(
        update={**changes, "version": conversation.version + 1, "updated_at": now})


def flows_dir() -> Path:
    """Where the flow files are: inside the installed package, or at the top of a checkout."""
    packaged = Path(str(resources.files("bot"))) / "flows"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "flows"
