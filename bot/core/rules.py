"""The recommendation: a pure function of the answers. Each rule states the reason it gives.

`decide` is the whole decision and reads top to bottom: the upstream shortcut, the hard limits on
visibility, placement inside or outside the company, then tax. `recommend` adds what a reader
needs around it: next steps, links and which single answer would change the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.flow import Answers
from bot.core.outcomes import (
    Change,
    Flag,
    Governance,
    Path,
    Reason,
    Recommendation,
    WhatIf,
    WhatWouldChange,
)
from bot.core.texts import flag_notes, learn_more, next_steps

REVIEW_IN_MONTHS = 6

# Hard limits: any one of these answers rules out a public release.
PUBLIC_BLOCKERS: dict[tuple[str, str], str] = {
    ("confidential", "core"): "Confidential material sits at its core, and nothing public can be "
    "taken back.",
    ("differentiator", "yes"): "It sets your products apart; publishing it gives that away.",
    ("audience", "team"): "Only the owning team should see it.",
    ("audience", "restricted"): "Only selected groups may see it, so it cannot be public.",
    ("internal_only", "yes"): "It only works with internal systems, so outsiders could not use it.",
}

# Questions the flow only asks on some paths; when an answer is missing the rules assume the
# cautious one (used when re-evaluating what a different answer would change).
CAUTIOUS_DEFAULTS = {"agreements": "unknown", "ownership": "unsure", "motivation": "none"}

CONTRIBUTIONS_WANTED = frozenset({"patches", "co_maintainers", "external"})


class UnansweredError(LookupError):
    """The rules need an answer the flow never asked for."""


@dataclass
class Decision:
    """The outcome of the rules, before it is dressed up as a Recommendation."""

    answers: Answers
    path: Path = Path.INNERSOURCE
    governance: Governance = Governance.READABLE_SOURCE
    target: Governance | None = None
    flags: list[Flag] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    def get(self, question: str) -> str:
        """The answer to a question, the cautious default, or UnansweredError."""
        answer = self.answers.get(question) or CAUTIOUS_DEFAULTS.get(question)
        if answer is None:
            raise UnansweredError(question)
        return answer

    def because(self, question: str, reason: str) -> None:
        """Record the answer that drove a rule, with the rule's reason."""
        self.reasons.append(Reason(question=question, answer=self.get(question), reason=reason))

    def flag(self, flag: Flag) -> None:
        """Add a flag once."""
        if flag not in self.flags:
            self.flags.append(flag)


def public_release_blockers(answers: Answers) -> list[tuple[str, str]]:
    """The (question, answer) pairs among these answers that rule out a public release."""
    return [(q, a) for q, a in PUBLIC_BLOCKERS if answers.get(q) == a]


def decide(answers: Answers) -> Decision:
    """Path, governance model, flags and reasons for a complete set of answers."""
    d = Decision(answers)
    if d.get("upstream") == "fork":
        _contribute_upstream(d)
        return d
    if d.get("upstream") == "overlaps":
        d.because("upstream", "It overlaps with an existing open source project: contributing "
                  "there may serve you better than starting something new.")
    _visibility_flags(d)
    blockers = public_release_blockers(answers)
    for question, answer in blockers:
        d.because(question, PUBLIC_BLOCKERS[(question, answer)])
    if blockers:
        _place_inside(d)
    elif d.get("audience") == "company":
        d.because("audience", "You prefer to keep it inside the company, though nothing rules out "
                  "a public release.")
        _place_inside(d)
    else:
        _place_public(d)
    _tax(d)
    return d


def _contribute_upstream(d: Decision) -> None:
    if d.get("confidential") == "core":
        d.path, d.governance = Path.KEEP_CLOSED, Governance.TEAM_OWNED
        d.because("confidential", "The change itself is confidential, so it cannot go upstream: "
                  "keep it private and small, and upstream any generic fixes.")
        d.flag(Flag.SPLIT)
    else:
        d.path, d.governance = Path.CONTRIBUTE_UPSTREAM, Governance.UPSTREAM
        d.because("upstream", "It mainly changes an existing open source project; merged "
                  "upstream, the change stops costing you maintenance.")
        if d.get("confidential") == "separable":
            d.because("confidential", "Keep the confidential part out of what you send upstream.")
            d.flag(Flag.SPLIT)
    if d.get("ownership") != "yes":
        d.because("ownership", "Check that you may contribute it before you send it upstream.")
        d.flag(Flag.LEGAL_REVIEW)


def _visibility_flags(d: Decision) -> None:
    if d.get("audience") == "restricted":
        d.flag(Flag.RESTRICTED_VISIBILITY)
    if d.get("confidential") == "separable" or d.get("differentiator") == "partly":
        d.flag(Flag.SPLIT)
        question = "confidential" if d.get("confidential") == "separable" else "differentiator"
        d.because(question, "Separate the confidential or differentiating part and share the rest.")


def _place_inside(d: Decision) -> None:
    if d.get("users") == "team" and d.get("contributors") == "owners_only":
        d.path, d.governance = Path.KEEP_CLOSED, Governance.TEAM_OWNED
        d.because("users", "Nobody else uses it and no contributions are wanted, so InnerSource "
                  "would be overhead without benefit.")
        return
    d.path, d.governance = Path.INNERSOURCE, _innersource_level(d)


def _innersource_level(d: Decision) -> Governance:
    contributors = d.get("contributors")
    if contributors not in CONTRIBUTIONS_WANTED:
        d.because("contributors", "Others should read it and report issues while the owners do "
                  "the work.")
        return Governance.READABLE_SOURCE
    if d.get("capacity") == "none":
        d.because("capacity", "Contributions are wanted but nobody has time to review them: start "
                  "readable, and budget maintainer time before inviting patches.")
        d.flag(Flag.CAPACITY_GAP)
        return Governance.READABLE_SOURCE
    if contributors == "co_maintainers":
        if d.get("control") == "neutral":
            d.because("control", "Teams maintain it as peers and no single team should own the "
                      "direction.")
            return Governance.SHARED_OWNERSHIP
        d.because("contributors", "Other teams should become co-maintainers: give them a "
                  "documented path to commit rights.")
        return Governance.SHARED_WRITE_ACCESS
    d.because("contributors", "Others should send patches that trusted committers review and "
              "merge while the owners decide.")
    return Governance.CONTRIBUTIONS_WELCOME


def _place_public(d: Decision) -> None:
    if d.get("motivation") == "none":
        d.because("motivation", "Nothing named would be gained from publishing; InnerSource gives "
                  "the reuse without the cost of a public project.")
        _place_inside(d)
        return
    if d.get("motivation") == "transparency" and (
        d.get("capacity") == "none" or d.get("contributors") == "owners_only"
    ):
        d.because("motivation", "Transparency is the goal and nobody will maintain it for "
                  "outsiders: publish it as it is, and say so plainly.")
        target = Governance.PUBLISH_ONLY
    else:
        target = _open_source_model(d)
    if _ready_to_publish(d, target):
        d.path, d.governance = Path.OPEN_SOURCE, target
    else:
        d.path, d.governance, d.target = Path.INNERSOURCE_FIRST, _innersource_level(d), target


def _ready_to_publish(d: Decision, target: Governance) -> bool:
    ready = True
    if d.get("ownership") != "yes":
        d.because("ownership", "Rights to every line must be cleared before a public release.")
        d.flag(Flag.LEGAL_REVIEW)
        ready = False
    if target != Governance.PUBLISH_ONLY and d.get("capacity") != "dedicated":
        d.because("capacity", "A public project needs maintainer time for outside issues and "
                  "vulnerability reports; budget it first.")
        if d.get("contributors") in CONTRIBUTIONS_WANTED:
            d.flag(Flag.CAPACITY_GAP)
        ready = False
    return ready


def _open_source_model(d: Decision) -> Governance:
    control, motivation = d.get("control"), d.get("motivation")
    if control == "neutral":
        d.because("control", "No single vendor should own it: give it a neutral home.")
        return Governance.FOUNDATION
    if motivation == "standard":
        d.because("motivation", "An industry standard built with partners needs a neutral home "
                  "they can trust.")
        return Governance.FOUNDATION
    if d.get("contributors") == "external" and control == "shared":
        d.because("contributors", "Outside organisations co-develop it with shared control.")
        return Governance.FOUNDATION
    if control == "shared":
        d.because("control", "Control is shared with contributors who earn commit rights on "
                  "merit.")
        return Governance.MERITOCRACY
    if control == "final_say" and motivation == "adoption":
        d.because("motivation", "You want adoption of your platform while keeping the final say: "
                  "grow an ecosystem of plugins around a core you steer.")
        return Governance.BENEVOLENT_DICTATOR
    d.because("control", "Your maintainers keep the decisions; outside pull requests are welcome "
              "under a CLA or DCO.")
    return Governance.SINGLE_VENDOR


def _tax(d: Decision) -> None:
    entities = d.get("entities")
    if entities in ("several_countries", "unknown"):
        d.flag(Flag.TRANSFER_PRICING)
        d.because("entities", _TRANSFER_PRICING_REASONS[d.path == Path.OPEN_SOURCE])
        if d.path != Path.OPEN_SOURCE and _commodity(d):
            d.because("differentiator", "This is commodity code shared across countries: open "
                      "source would remove most of the transfer-pricing burden.")
    if entities == "one":
        return
    agreements = d.get("agreements")
    if agreements in ("none", "unknown"):
        d.flag(Flag.INTERCOMPANY_AGREEMENT)
        d.because("agreements", "Cover cross-entity work with an intercompany agreement or an "
                  "InnerSource licence that names the entity owning the code.")
    elif agreements == "regulated":
        d.flag(Flag.RING_FENCING)
        d.because("agreements", "A regulated or ring-fenced entity needs its own check before it "
                  "shares code or effort.")


_TRANSFER_PRICING_REASONS = {
    False: "Work across legal entities is an intra-group service: it must be identified, tracked "
    "and priced at arm's length.",
    True: "Open source licenses the code to everyone, which substantially reduces the "
    "transfer-pricing burden; confirm with your tax team.",
}


def _commodity(d: Decision) -> bool:
    return d.get("differentiator") == "no" and d.get("confidential") == "none"


def what_would_change(answers: Answers, asked: list[str], options: dict[str, list[str]],
                      current: Decision) -> WhatWouldChange:
    """Every single different answer to an asked question that changes path or governance."""
    changes = []
    for question in asked:
        for option in options[question]:
            if option == answers[question]:
                continue
            try:
                other = decide({**answers, question: option})
            except UnansweredError:
                continue  # the new answer opens questions never asked: nothing honest to say
            if (other.path, other.governance) != (current.path, current.governance):
                change = Change(question=question, answer=option, text=f"{question}: {option}")
                changes.append(WhatIf(changes=[change], path=other.path,
                                      governance=other.governance))
    return WhatWouldChange(choices=changes)


def recommend(answers: Answers, asked: list[str], options: dict[str, list[str]]) -> Recommendation:
    """The full recommendation for the answers to the questions a walk of the flow asked.

    `asked` lists those questions in order and `options` every question's option ids; both come
    from the flow, so the rules stay independent of how the questions are worded.
    """
    relevant = {q: answers[q] for q in asked}
    d = decide(relevant)
    return Recommendation(
        path=d.path,
        governance=d.governance,
        target_governance=d.target,
        flags=d.flags,
        flag_notes=flag_notes(d.flags, d.path),
        rationale=d.reasons,
        next_steps=next_steps(d.path, d.governance, d.target, d.flags),
        what_would_change=what_would_change(relevant, asked, options, d),
        learn_more=learn_more(d.path, d.governance, d.flags),
        review_in_months=REVIEW_IN_MONTHS,
    )
