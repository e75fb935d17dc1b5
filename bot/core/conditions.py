"""Named conditions that flow routes refer to, each a typed predicate over the answers so far.

A predicate must give a sensible result while later answers are still missing: the engine also
uses them to predict how many questions a path will ask.
"""

from __future__ import annotations

from bot.core.flow import Answers, Condition
from bot.core.rules import public_release_blockers


def upstream_is_fork(answers: Answers) -> bool:
    """The code mainly changes an existing open source project: only the upstream questions."""
    return answers.get("upstream") == "fork"


def several_entities(answers: Answers) -> bool:
    """More than one legal entity may be involved, so ask about agreements."""
    return answers.get("entities") != "one"


def public_release_possible(answers: Answers) -> bool:
    """No hard limit rules out a public release yet, so readiness still matters."""
    return not public_release_blockers(answers)


CONDITIONS: dict[str, Condition] = {
    condition.__name__: condition
    for condition in (upstream_is_fork, several_entities, public_release_possible)
}
