"""Answers as people and files give them, read into the one form the engine and the rules use.

An answer is an option id, or for a question with `multiple` a list of option ids in the flow's
order (`["none"]` when nothing applies). Answers files, typed text, ticked checkboxes and
conversations saved by an older flow version all arrive here first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from bot.core.flow import FlowDefinition, Question, normalise
from bot.core.outcomes import AnswerValue

NONE = "none"
V = TypeVar("V")


class InvalidAnswerError(ValueError):
    """An answer names an unknown question or option, or combines options that exclude each
    other; the message says which, in words fit to show the user."""


def chosen(answer: AnswerValue | None) -> list[str]:
    """The option ids of an answer, one or several (none for no answer)."""
    if answer is None:
        return []
    return [answer] if isinstance(answer, str) else list(answer)


def upgrade_answers(answers: Mapping[str, V]) -> dict[str, V | str]:
    """Answers of flow version 1 in version 2's terms.

    Version 1 folded two facts into one option: `agreements` = `regulated` meant a regulated
    entity is involved and said nothing about the agreement. Version 2 asks both, so that answer
    reads as agreements `unknown` plus regulated `yes` (unless `regulated` was given too).
    """
    if answers.get("agreements") != "regulated":
        return {**answers}
    return {**answers, "agreements": "unknown", "regulated": answers.get("regulated", "yes")}


def read_answers(flow: FlowDefinition, raw: Mapping[str, object]) -> dict[str, AnswerValue]:
    """Validate an answers mapping (a file, an API call) and put each answer in canonical form."""
    answers: dict[str, AnswerValue] = {}
    for question_id, value in upgrade_answers(raw).items():
        question = flow.by_id.get(question_id)
        if question is None:
            raise InvalidAnswerError(f"unknown question '{question_id}' "
                                     f"(known: {', '.join(flow.by_id)})")
        answers[question_id] = canonical(question, value)
    return answers


def canonical(question: Question, value: object) -> AnswerValue:
    """One answer checked against its question: an option id, or a list for `multiple`."""
    if not question.multiple:
        if not isinstance(value, str):
            raise InvalidAnswerError(f"question '{question.id}' takes one option id "
                                     f"(one of: {_ids(question)})")
        return _known(question, value)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidAnswerError(f"question '{question.id}' takes a list of option ids "
                                 f"(from: {_ids(question)})")
    return selection(question, value)


def selection(question: Question, chosen: Iterable[str]) -> list[str]:
    """Ticked options of a `multiple` question in the flow's order; nothing ticked means none.

    An exclusive option (none, unsure) together with another is refused: the user must say
    which they mean.
    """
    picked = {_known(question, option) for option in chosen}
    ordered = [o.id for o in question.options if o.id in picked]
    if not ordered:
        return [NONE] if question.option(NONE) else []
    exclusive = [o for o in question.options if o.exclusive and o.id in picked]
    if exclusive and len(ordered) > 1:
        others = ", ".join(question.labels(o) for o in ordered if o != exclusive[0].id)
        raise InvalidAnswerError(f"\u201c{exclusive[0].label}\u201d cannot be chosen together "
                                 f"with {others}: choose it alone, or only the ones that apply")
    return ordered


def parse_typed(words: Mapping[str, str], text: str) -> list[str] | None:
    """The options typed for a `multiple` question ("1, 3", "encryption personal data", "none"),
    or None when any part is not understood. Parts are split on commas and semicolons; a part
    that is not an option as a whole is tried word by word ("1 3")."""
    whole = words.get(normalise(text))
    if whole is not None:
        return [whole]
    chosen: list[str] = []
    for part in text.replace(";", ",").split(","):
        if not normalise(part):
            continue
        option = words.get(normalise(part))
        if option is not None:
            chosen.append(option)
            continue
        singles = [words.get(word) for word in normalise(part).split()]
        if not singles or any(option is None for option in singles):
            return None
        chosen.extend(option for option in singles if option is not None)
    return chosen or None


def _known(question: Question, option_id: str) -> str:
    if question.option(option_id) is None:
        raise InvalidAnswerError(f"unknown option '{option_id}' for question '{question.id}' "
                                 f"(choose {'from' if question.multiple else 'one of'}: "
                                 f"{_ids(question)})")
    return option_id


def _ids(question: Question) -> str:
    return ", ".join(o.id for o in question.options)
