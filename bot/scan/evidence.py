"""Evidence meets answers: a scan report read back from its JSON, its suggestions merged under
the user's answers, and the evidence that was used attached to the recommendation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from bot.core.answers import chosen
from bot.core.outcomes import AnswerValue, Evidence, Recommendation
from bot.scan.model import ScanReport

EXCLUSIVE = frozenset({"none", "unsure"})


class EvidenceError(ValueError):
    """The evidence file cannot be read; the message says why."""


def load_report(path: Path) -> ScanReport:
    """A scan report written by `opensource-check scan --format json`."""
    try:
        return ScanReport.model_validate_json(path.read_text("utf-8"))
    except OSError as error:
        raise EvidenceError(f"cannot read the evidence file {path}: {error}") from error
    except ValidationError as error:
        raise EvidenceError(f"{path} is not a scan report of `opensource-check scan --format "
                            f"json`: {error.error_count()} problems, first: "
                            f"{error.errors()[0]['msg']}") from error


def suggested(evidence: list[Evidence], known: Mapping[str, list[str]]) -> dict[str, AnswerValue]:
    """The answer the evidence suggests per question the flow knows: obligations found are
    gathered into one list; for other questions the most confident suggestion."""
    answers: dict[str, AnswerValue] = {}
    for item in sorted(evidence, key=lambda e: -e.confidence):
        if item.question not in known:
            continue  # a question this flow does not ask (yet)
        options = [o for o in chosen(item.answer) if o in known[item.question]]
        if not options:
            continue
        if isinstance(item.answer, list):
            current = chosen(answers.get(item.question, []))
            answers[item.question] = [*current, *(o for o in options if o not in current)]
        else:
            answers.setdefault(item.question, options[0])
    return answers


@dataclass(frozen=True)
class Default:
    """A suggested answer offered as the default of a question in `chat`, with what was found."""

    answer: AnswerValue
    confidence: float
    details: tuple[str, ...]


def defaults(evidence: list[Evidence], known: Mapping[str, list[str]]) -> dict[str, Default]:
    """Per question the flow knows: the suggested answer, the highest confidence behind it,
    and every finding that speaks for it."""
    result = {}
    for question, answer in suggested(evidence, known).items():
        behind = [item for item in evidence if item.question == question
                  and all(option in chosen(answer) for option in chosen(item.answer))]
        result[question] = Default(answer, max(item.confidence for item in behind),
                                   tuple(item.detail for item in behind))
    return result


def defaults_from(path: Path, known: Mapping[str, list[str]]) -> dict[str, Default]:
    """The chat defaults of a scan report file."""
    return defaults(load_report(path).suggestions, known)


def merge(answers: Mapping[str, AnswerValue], evidence: list[Evidence],
          known: Mapping[str, list[str]]) -> tuple[dict[str, AnswerValue], list[Evidence]]:
    """The user's answers with the evidence's under them, and the evidence that was used.

    The user's answer wins for every question. `obligations` is a list of facts, so evidence
    adds to a list the user gave (a GPL file found in vendor/ is an obligation whether or not
    the user listed it), but never to `none` or `unsure`: those are the user's word about the
    whole list (`unsure` stays, since a scan cannot clear contracts or patents), and evidence
    that differs from an answer is left out of the recommendation's `evidence`."""
    proposals = suggested(evidence, known)
    merged: dict[str, AnswerValue] = dict(answers)
    for question, proposal in proposals.items():
        if question not in merged:
            merged[question] = proposal
        elif isinstance(proposal, list):
            given = chosen(merged[question])
            if not EXCLUSIVE.intersection(given):
                merged[question] = [*given, *(o for o in proposal if o not in given)]
    used = [item for item in evidence if _agrees(item, merged)]
    return merged, used


def _agrees(item: Evidence, answers: Mapping[str, AnswerValue]) -> bool:
    if item.question not in answers:
        return False
    given = chosen(answers[item.question])
    return all(option in given for option in chosen(item.answer))


def with_evidence(rec: Recommendation, used: list[Evidence], asked: list[str]) -> Recommendation:
    """The recommendation listing the evidence it used: evidence for a question the flow asked
    on this walk (kept outside the pure core's rules)."""
    relevant = [item for item in used if item.question in asked]
    return rec.model_copy(update={"evidence": [*rec.evidence, *relevant]})
