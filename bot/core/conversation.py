"""The Conversation: everything a front end stores between two turns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.flow import DONE
from bot.core.outcomes import AnswerValue

CANCELLED = "cancelled"


class Conversation(BaseModel):
    """One user's check: where it stands, what was answered, and a version for compare-and-set.

    `id` and the timestamps are given by the caller, so the core never reads a clock or a random
    source. Platform details (the message showing the open question, where to post the summary)
    are kept as store records beside it: writing them here would bump the version, and with it
    the ref that the question's own buttons carry.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    flow: str
    flow_version: int
    state: str
    answers: dict[str, AnswerValue] = Field(default_factory=dict)
    asked: list[str] = Field(default_factory=list)
    version: int = 0
    started_at: datetime
    updated_at: datetime

    @property
    def ref(self) -> str:
        """What every button of the current step carries: a click with another ref is stale."""
        return f"{self.id}.{self.version}"

    @property
    def finished(self) -> bool:
        """The check ended with a result."""
        return self.state == DONE

    @property
    def active(self) -> bool:
        """A question is waiting for an answer."""
        return self.state not in (DONE, CANCELLED)

    def to_json(self) -> str:
        """Compact JSON for the store."""
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def from_json(cls, data: str | bytes) -> Conversation:
        """The inverse of `to_json`."""
        return cls.model_validate_json(data)


Action = Literal["answer", "back", "restart", "cancel", "help"]


class Inbound(BaseModel):
    """One thing the user did: typed text, or clicked a button carrying a step ref."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str | None = None
    action: Action | None = None
    option: str | None = None
    options: tuple[str, ...] | None = None  # the ticked options of a question with `multiple`
    ref: str | None = None

    @classmethod
    def typed(cls, text: str) -> Inbound:
        """Free text typed in a chat or a terminal."""
        return cls(text=text)

    @classmethod
    def click(cls, action: Action, ref: str, option: str | None = None) -> Inbound:
        """A button: the action, the step it belongs to, and the option for answers."""
        return cls(action=action, ref=ref, option=option)

    @classmethod
    def submit(cls, ref: str, options: tuple[str, ...]) -> Inbound:
        """A multiple-choice question submitted with these options ticked (none: empty)."""
        return cls(action="answer", ref=ref, options=options)
