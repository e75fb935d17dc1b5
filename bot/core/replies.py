"""Neutral replies: what the engine says, for each platform to render in its own way."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.core.flow import Question
from bot.core.outcomes import Recommendation


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Progress(_Reply):
    """Where the user is: question `index` of about `total` on the current path."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"Question {self.index} of about {self.total}"


class AskQuestion(_Reply):
    """Ask a question; its buttons carry `ref`."""

    kind: Literal["question"] = "question"
    question: Question
    progress: Progress
    ref: str
    previous: str | None = None  # the earlier answer, kept as a default after `back`
    can_go_back: bool = False


class Closed(_Reply):
    """The question shown with `ref` is settled: platforms replace its buttons with `note`."""

    kind: Literal["closed"] = "closed"
    ref: str
    prompt: str
    note: str


class Notice(_Reply):
    """A short message: help, a re-prompt, a stale click, a cancellation."""

    kind: Literal["notice"] = "notice"
    text: str
    level: Literal["info", "error", "stale"] = "info"


class Result(_Reply):
    """The check is done: the recommendation for these answers."""

    kind: Literal["result"] = "result"
    recommendation: Recommendation
    answers: dict[str, str]


Reply = AskQuestion | Closed | Notice | Result
