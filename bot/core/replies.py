"""Neutral replies: what the engine says, for each platform to render in its own way.

Plain frozen dataclasses rather than pydantic models: the engine builds them from data the flow
loader already validated, and validating again on every turn cost more than the turn itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.core.flow import Question
from bot.core.outcomes import AnswerValue, Recommendation


@dataclass(frozen=True, slots=True)
class Progress:
    """Where the user is: question `index` of at most `total`, the longest the path could be."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"Question {self.index} of up to {self.total}"


@dataclass(frozen=True, slots=True)
class AskQuestion:
    """Ask a question; its buttons carry `ref`."""

    question: Question
    progress: Progress
    ref: str
    previous: AnswerValue | None = None  # the earlier answer, a default after `back`
    can_go_back: bool = False


@dataclass(frozen=True, slots=True)
class Closed:
    """The question shown with `ref` is settled: platforms replace its buttons with `note`."""

    ref: str
    prompt: str
    note: str
    answered: bool = False  # the note is the user's answer (shown with a check mark)


@dataclass(frozen=True, slots=True)
class Notice:
    """A short message: help, a re-prompt, a stale click, a cancellation."""

    text: str
    level: Literal["info", "error", "stale"] = "info"


@dataclass(frozen=True, slots=True)
class Result:
    """The check is done: the recommendation for these answers."""

    recommendation: Recommendation
    answers: dict[str, AnswerValue] = field(default_factory=dict)


Reply = AskQuestion | Closed | Notice | Result
