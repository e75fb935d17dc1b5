"""The recommendation around the decision: texts, and "what would change" (domain.md v2).

"What would change" lists single different answers that change path or governance, choices
(questions of kind `choice`) apart from facts (kind `fact`), then for each path more open than
the result the smallest set of at most two changed answers that reaches it. Every entry is the
real outcome of the changed answers walked through the flow again: a changed answer can open
questions that were never asked; those get their cautious reading (listed in `assumed`), and
entries that would need an answer with no cautious reading are left out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

from bot.core.conditions import CONDITIONS
from bot.core.flow import DONE, Answers, FlowDefinition
from bot.core.outcomes import (
    AnswerValue,
    Change,
    Path,
    Reason,
    Recommendation,
    WhatIf,
    WhatWouldChange,
    more_open,
)
from bot.core.rules import CAUTIOUS, REVIEW_MONTHS, Decision, UnansweredError, decide
from bot.core.texts import answer_text, flag_notes, learn_more, next_steps

Outcome = tuple[Decision, dict[str, AnswerValue]]


# The recommendation is a pure function of the flow and the relevant answers, and "what would
# change" re-assesses hundreds of changed answer sets (about 20 ms for some answer sets, most of
# a finishing turn's CPU). Many people give the same answers, so the last recommendations are
# remembered (least recently used out first). The entry keeps its
# flow, so `id(flow)` in the key cannot be reused by another flow while the entry lives; the
# models are frozen, so sharing one is safe.
_CACHE_SIZE = 512
_lock = threading.Lock()  # the engine may be shared by threads (it keeps a cursor per thread)
_recommended: OrderedDict[tuple[int, tuple[tuple[str, str | tuple[str, ...]], ...]],
                          tuple[FlowDefinition, Recommendation]] = OrderedDict()


def forget_recommendations() -> None:
    """Empty the recommendation memo (benchmarks use it to measure the full computation)."""
    with _lock:
        _recommended.clear()


def recommend(answers: Answers, asked: list[str], flow: FlowDefinition) -> Recommendation:
    """The full recommendation for the answers to the questions a walk of the flow asked."""
    relevant = {q: answers[q] for q in asked if q in answers}
    key = (id(flow), tuple((q, a if isinstance(a, str) else tuple(a))
                           for q, a in relevant.items()))
    with _lock:
        hit = _recommended.get(key)
        if hit is not None and hit[0] is flow:
            _recommended.move_to_end(key)
            return hit[1]
    made = _recommend(relevant, flow)
    with _lock:
        _recommended[key] = (flow, made)
        if len(_recommended) > _CACHE_SIZE:
            _recommended.popitem(last=False)
    return made


def _recommend(relevant: dict[str, AnswerValue], flow: FlowDefinition) -> Recommendation:
    d = decide(relevant)
    return Recommendation(
        path=d.path,
        governance=d.governance,
        target_governance=d.target,
        flags=d.flags,
        flag_notes=flag_notes(d),
        conflicts=d.conflicts,
        rationale=[Reason(question=q, answer=a, reason=r)
                   for q, a, r in d.reasons],
        next_steps=next_steps(d),
        what_would_change=what_would_change(flow, relevant, d),
        learn_more=learn_more(d),
        review_in_months=REVIEW_MONTHS[d.path],
    )


Routes = dict[str, list[tuple[str, Callable[[Answers], bool] | None]]]


def routes_of(flow: FlowDefinition) -> Routes:
    """Each question's routes with their conditions looked up once: the search below walks
    the flow hundreds of times."""
    return {q.id: [(r.to, None if r.when is None else CONDITIONS[r.when]) for r in q.next]
            for q in flow.questions}


def walk(routes: Routes, start: str,
         answers: Answers) -> tuple[list[str], dict[str, AnswerValue]] | None:
    """The questions these answers go through, and the cautious answers read for questions they
    do not answer; None when a question without a cautious reading is reached."""
    state, path, assumed = start, [], {}
    given = answers
    while state != DONE:
        path.append(state)
        if state not in given:
            if state not in CAUTIOUS:
                return None
            assumed[state] = CAUTIOUS[state]
            given = {**answers, **assumed}
        for to, when in routes[state]:  # the last has no condition (validated): one applies
            if when is None or when(given):
                state = to
                break
    return path, assumed


class _Search:
    """Re-assesses changed answers, each distinct set once."""

    def __init__(self, flow: FlowDefinition, answers: Answers) -> None:
        self.flow, self.answers = flow, answers
        self.routes = routes_of(flow)
        self._seen: dict[tuple[tuple[str, str], ...], Outcome | None] = {}

    def outcome(self, changes: tuple[tuple[str, AnswerValue], ...]) -> Outcome | None:
        new = {**self.answers, **dict(changes)}
        walked = walk(self.routes, self.flow.start, new)
        if walked is None:
            return None
        path, assumed = walked
        if any(q not in path for q, _ in changes):
            return None  # a changed answer the flow would not even ask: no claim to make
        evaluated = {q: new.get(q, assumed.get(q)) for q in path}
        key = tuple(sorted((q, _key(a)) for q, a in evaluated.items() if a is not None))
        if key not in self._seen:
            try:
                self._seen[key] = (decide({q: a for q, a in evaluated.items() if a is not None},
                                          explain=False),
                                   assumed)
            except UnansweredError:
                self._seen[key] = None
        found = self._seen[key]
        return None if found is None else (found[0], assumed)

    def alternatives(self, question: str) -> Iterator[AnswerValue]:
        current = self.answers.get(question, CAUTIOUS.get(question))
        if self.flow.by_id[question].multiple:
            yield from _other_selections(current)
            return
        for option in self.flow.by_id[question].options:
            if option.id != current:
                yield option.id


def _other_selections(current: AnswerValue | None) -> Iterator[list[str]]:
    chosen = [current] if isinstance(current, str) else list(current or ["unsure"])
    if chosen != ["none"]:
        yield ["none"]
    if len(chosen) > 1:
        for option in chosen:
            yield [o for o in chosen if o != option]


def _key(answer: AnswerValue) -> str:
    return answer if isinstance(answer, str) else ",".join(answer)


def what_would_change(flow: FlowDefinition, answers: Answers, current: Decision) -> WhatWouldChange:
    """domain.md's "What would change", every entry re-assessed (see the module docstring)."""
    search = _Search(flow, answers)
    here = (current.path, current.governance)
    choices: list[WhatIf] = []
    facts: list[WhatIf] = []
    reach: dict[Path, WhatIf] = {}
    for question in answers:
        for alternative in search.alternatives(question):
            found = search.outcome(((question, alternative),))
            if found is None or (found[0].path, found[0].governance) == here:
                continue
            entry = _entry(flow, ((question, alternative),), found)
            (facts if flow.by_id[question].kind == "fact" else choices).append(entry)
            reach.setdefault(entry.path, entry)
    wanted = [p for p in Path if more_open(p, current.path)]
    missing = [p for p in wanted if p not in reach]
    if missing:
        _pairs(flow, search, answers, missing, reach)
    routes = [reach[p] for p in wanted if p in reach]
    return WhatWouldChange(choices=choices, facts=facts, routes=routes)


def _pairs(flow: FlowDefinition, search: _Search, answers: Answers, missing: list[Path],
           reach: dict[Path, WhatIf]) -> None:
    """The first pair of changed answers reaching each missing path (choices tried first)."""
    order = sorted(flow.by_id, key=lambda q: flow.by_id[q].kind != "choice")
    firsts = [q for q in order if q in answers]
    for i, first in enumerate(firsts):
        for second in order:
            if second == first or (second in answers and firsts.index(second) < i):
                continue
            for a in search.alternatives(first):
                for b in search.alternatives(second):
                    changes = ((first, a), (second, b))
                    found = search.outcome(changes)
                    if found is not None and found[0].path in missing:
                        reach[found[0].path] = _entry(flow, changes, found)
                        missing.remove(found[0].path)
                        if not missing:
                            return


def _entry(flow: FlowDefinition, changes: tuple[tuple[str, AnswerValue], ...],
           found: Outcome) -> WhatIf:
    decision, assumed = found
    return WhatIf(
        changes=[Change(question=q, answer=a, text=answer_text(flow, q, a)) for q, a in changes],
        path=decision.path, governance=decision.governance, target_governance=decision.target,
        assumed=[Change(question=q, answer=a, text=answer_text(flow, q, a))
                 for q, a in assumed.items()])
