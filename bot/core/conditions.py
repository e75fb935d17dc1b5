"""Named conditions that flow routes refer to, each a typed predicate over the answers so far.

A predicate must give a sensible result while later answers are still missing: the engine also
uses them to predict how many questions a path will ask.
"""

from __future__ import annotations

from bot.core.flow import Answers, Condition
from bot.core.rules import public_release_blockers


def builds_on_upstream(answers: Answers) -> bool:
    """The code changes or overlaps an existing open source project: ask how that project is."""
    return answers.get("upstream") in ("fork", "overlaps")


def upstream_is_fork(answers: Answers) -> bool:
    """The code mainly changes an existing open source project: only the fork path's questions."""
    return answers.get("upstream") == "fork"


def upstream_is_abandoned_fork(answers: Answers) -> bool:
    """A fork of a project nobody maintains: the code may need a new home, and maintainers."""
    return upstream_is_fork(answers) and answers.get("upstream_health") == "abandoned"


def several_entities(answers: Answers) -> bool:
    """More than one legal entity may be involved, so ask about agreements and regulation."""
    return answers.get("entities") != "one"


def public_release_possible(answers: Answers) -> bool:
    """Not the fork path, and no hard limit rules out a public release: ask for the motivation."""
    return not upstream_is_fork(answers) and not public_release_blockers(answers)


CONDITIONS: dict[str, Condition] = {
    condition.__name__: condition
    for condition in (builds_on_upstream, upstream_is_fork, upstream_is_abandoned_fork,
                      several_entities, public_release_possible)
}
