"""The policy applied to a recommendation: a pure function, run after the core has advised.

The core never sees the policy. Without one (`None`) the recommendation is returned unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from bot.core.outcomes import FlagNote, Link, Path, Recommendation
from bot.policy.model import ContributionTerms, Policy

PUBLISHING = frozenset({Path.OPEN_SOURCE, Path.INNERSOURCE_FIRST})
SHARING_INSIDE = frozenset({Path.INNERSOURCE, Path.INNERSOURCE_FIRST})
_T = TypeVar("_T")
TERMS = {ContributionTerms.DCO: "the Developer Certificate of Origin (DCO)",
         ContributionTerms.CLA: "the company's Contributor Licence Agreement (CLA)"}


def apply_policy(rec: Recommendation, policy: Policy | None) -> Recommendation:
    """The recommendation with the company's own links first, its licences and extra steps
    added, and its re-review interval; unchanged without a policy."""
    if policy is None:
        return rec
    return rec.model_copy(update={
        "learn_more": _unique([*_internal_links(rec, policy), *rec.learn_more]),
        "flag_notes": [_with_links(note, policy) for note in rec.flag_notes],
        "next_steps": _unique([*rec.next_steps, *_policy_steps(rec, policy)]),
        "review_in_months": policy.re_review_months.get(rec.path, rec.review_in_months),
    })


def needs_review(rec: Recommendation, policy: Policy | None) -> bool:
    """Whether the policy asks for an OSPO review of this outcome (never without a policy)."""
    if policy is None:
        return False
    return rec.path in policy.review.paths or any(f in policy.review.flags for f in rec.flags)


def _internal_links(rec: Recommendation, policy: Policy) -> list[Link]:
    links = list(policy.links.paths.get(rec.path, []))
    for flag in rec.flags:
        links += policy.links.flags.get(flag, [])
    return links


def _with_links(note: FlagNote, policy: Policy) -> FlagNote:
    internal = policy.links.flags.get(note.flag, [])
    if not internal:
        return note
    return note.model_copy(update={"links": _unique([*internal, *note.links])})


def _policy_steps(rec: Recommendation, policy: Policy) -> list[str]:
    steps = _licence_steps(rec.path, policy)
    steps += policy.next_steps.paths.get(rec.path, [])
    for flag in rec.flags:
        steps += policy.next_steps.flags.get(flag, [])
    if rec.flags and policy.company.contact:
        steps.append(f"Questions about the flags: ask {policy.company.ospo} "
                     f"({policy.company.contact}).")
    return steps


def _licence_steps(path: Path, policy: Policy) -> list[str]:
    licensing, steps = policy.licensing, []
    if path in PUBLISHING and licensing.outbound:
        where = "at release" if path is Path.INNERSOURCE_FIRST else "by default"
        steps.append(f"Company policy: publish under {licensing.outbound} {where}; another "
                     f"licence needs {policy.company.ospo}'s approval.")
    if path in PUBLISHING and licensing.contributions:
        steps.append(f"Company policy: accept outside contributions under "
                     f"{TERMS[licensing.contributions]}.")
    if path in SHARING_INSIDE and licensing.innersource:
        steps.append(f"Company policy: share it across entities under the {licensing.innersource}.")
    return steps


def _unique(items: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(items))

