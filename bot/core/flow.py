"""The flow file schema: questions, options, help texts and routes, validated at load time."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.core.outcomes import AnswerValue

DONE = "done"
"""The final state every route eventually reaches."""

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Answers = Mapping[str, AnswerValue]
"""Question id to option id, or to a list of option ids for a question with `multiple`."""
Condition = Callable[[Answers], bool]


class FlowError(ValueError):
    """A flow file that cannot be used; the message names the file, the question and the problem."""


class Block(StrEnum):
    """The part of the decision a question informs."""

    VISIBILITY = "visibility"
    PARTICIPATION = "participation"
    TAX = "tax"
    READINESS = "readiness"

    @property
    def heading(self) -> str:
        """The block as people read it in a heading ("Participation")."""
        return self.value.replace("_", " ").title()


MAX_BUTTONS = 5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    """One answer to a question."""

    id: Identifier
    label: str = Field(min_length=1, max_length=75)  # Slack's button text limit
    description: str | None = Field(default=None, max_length=75)  # shown under a checkbox
    synonyms: tuple[str, ...] = ()
    exclusive: bool = False  # in a question with `multiple`, cannot be chosen with another


class Route(_Strict):
    """Where to go after a question: `to` when the named condition holds (or always)."""

    to: Identifier
    when: Identifier | None = None


class Question(_Strict):
    """One question of the flow."""

    id: Identifier
    block: Block
    kind: Literal["fact", "choice"] = "choice"  # can the user decide it, or is it a fact?
    multiple: bool = False  # several options may be chosen (answers are then a list)
    prompt: str = Field(min_length=1, max_length=300)
    why: str = Field(min_length=1, max_length=200)
    # Five buttons fit a chat message and a terminal screen; a multiple-choice question renders
    # as checkboxes, of which Slack shows at most ten.
    options: tuple[Option, ...] = Field(min_length=2, max_length=10)
    next: tuple[Route, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_options_and_routes(self) -> Question:
        _require_unique([o.id for o in self.options], "option id")
        if not self.multiple and len(self.options) > MAX_BUTTONS:
            raise ValueError(f"options: at most {MAX_BUTTONS} for a single-choice question")
        if not self.multiple and any(o.exclusive for o in self.options):
            raise ValueError("options: `exclusive` only applies to a question with `multiple`")
        # A word may repeat within one option (a synonym equal to its id) but not across options.
        _require_unique([w for o in self.options for w in set(_words(o))], "option word")
        if self.next[-1].when is not None:
            raise ValueError("the last route must have no condition, so every answer goes on")
        if any(route.when is None for route in self.next[:-1]):
            raise ValueError("only the last route may be unconditional; later ones never apply")
        return self

    def option(self, option_id: str) -> Option | None:
        """The option with this id, if the question has it."""
        return next((o for o in self.options if o.id == option_id), None)

    def labels(self, answer: AnswerValue) -> str:
        """An answer in the user's words: the option labels, joined for several."""
        chosen = [answer] if isinstance(answer, str) else answer
        return ", ".join(o.label for o in self.options if o.id in chosen)


class FlowDefinition(_Strict):
    """A whole conversation: its questions in order and where it starts."""

    id: Identifier
    version: int = Field(ge=1)
    title: str
    intro: str
    start: Identifier
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_graph(self) -> FlowDefinition:
        _require_unique([q.id for q in self.questions], "question id")
        if DONE in self.by_id:
            raise ValueError(f"'{DONE}' is reserved for the end of the flow")
        if self.start not in self.by_id:
            raise ValueError(f"start '{self.start}' is not a question")
        for question in self.questions:
            for route in question.next:
                if route.to != DONE and route.to not in self.by_id:
                    raise ValueError(f"question '{question.id}': route to unknown '{route.to}'")
        self._check_reachable_and_acyclic()
        return self

    @cached_property
    def by_id(self) -> dict[str, Question]:
        """Questions by id."""
        return {q.id: q for q in self.questions}

    def _check_reachable_and_acyclic(self) -> None:
        # Depth-first search: a back edge means a walk could loop for ever.
        visiting: set[str] = set()
        finished: set[str] = set()

        def visit(question_id: str) -> None:
            if question_id == DONE or question_id in finished:
                return
            if question_id in visiting:
                raise ValueError(f"question '{question_id}': routes form a cycle")
            visiting.add(question_id)
            for route in self.by_id[question_id].next:
                visit(route.to)
            visiting.discard(question_id)
            finished.add(question_id)

        visit(self.start)
        unreachable = [q.id for q in self.questions if q.id not in finished]
        if unreachable:
            raise ValueError(f"question '{unreachable[0]}': unreachable from '{self.start}'")


def normalise(text: str) -> str:
    """Fold case, quotes and punctuation so typed answers match labels and synonyms."""
    text = text.lower().replace("\u2019", "'")
    return " ".join(re.sub(r"[^\w'?]+", " ", text).split())


def _words(option: Option) -> list[str]:
    return [normalise(w) for w in (option.id.replace("_", " "), option.label, *option.synonyms)]


def _require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} '{value}'")
        seen.add(value)


def parse_flow(data: object, source: str,
               known_conditions: Mapping[str, Condition]) -> FlowDefinition:
    """Validate flow data; every problem is reported with its source and question."""
    try:
        flow = FlowDefinition.model_validate(data)
    except ValidationError as error:
        raise FlowError(f"{source}: {_describe(error, data)}") from None
    for question in flow.questions:
        for route in question.next:
            if route.when is not None and route.when not in known_conditions:
                raise FlowError(f"{source}: question '{question.id}': unknown condition "
                                f"'{route.when}' (known: {', '.join(sorted(known_conditions))})")
    return flow


def load_flow(path: Path, known_conditions: Mapping[str, Condition]) -> FlowDefinition:
    """Read and validate one flow file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise FlowError(f"{path}: cannot read the flow: {error}") from None
    return parse_flow(data, str(path), known_conditions)


def _describe(error: ValidationError, data: object) -> str:
    problem = error.errors()[0]
    location = list(problem["loc"])
    where = ""
    if len(location) >= 2 and location[0] == "questions" and isinstance(location[1], int):
        where = f"question '{_question_id(data, location[1])}': "
        location = location[2:]
    field = ".".join(str(part) for part in location)
    message = problem["msg"].removeprefix("Value error, ")
    return f"{where}{field + ': ' if field else ''}{message}"


def _question_id(data: object, index: int) -> str:
    try:
        return str(data["questions"][index]["id"])  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        return f"#{index + 1}"
