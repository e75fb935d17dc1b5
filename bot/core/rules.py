"""The recommendation's decision (domain.md v2): a pure function of the answers.

`decide` reads top to bottom: the fork shortcut, or placement (public, partners, inside the
company); then the checks that apply on every path: rights, obligations, tax. Each rule records
the answer that drove it and its reason, once. Where an answer is missing (a check finished under
flow version 1, or a "what would change" re-run that reaches a question never asked) the rules
read the cautious answer and say so. Texts, links and "what would change" live in texts.py and
advice.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.flow import Answers
from bot.core.outcomes import AnswerValue, Conflict, Flag, Governance, Path

# Answers that rule out a public release whatever else is said. The flow asks for the motivation
# only when none of these holds (conditions.public_release_possible).
PUBLIC_BLOCKERS: dict[tuple[str, str], str] = {
    ("confidential", "core"): "Confidential material sits at its core, and nothing public can be "
    "taken back.",
    ("differentiator", "yes"): "It sets your products apart; publishing it gives that away.",
    ("audience", "team"): "Only the owning team should see it.",
    ("audience", "restricted"): "Only selected groups may see it.",
    ("internal_only", "yes"): "It only works with your internal systems, so outsiders could not "
    "use it.",
}

# The cautious reading of an answer that was never given (domain.md principle 5).
CAUTIOUS: dict[str, AnswerValue] = {
    "confidential": "separable", "differentiator": "partly",
    "upstream_health": "active", "ownership": "unsure", "obligations": ["unsure"],
    "entities": "unknown", "agreements": "unknown", "regulated": "unknown",
    "motivation": "none", "capacity": "none",
}

FEW = frozenset({"owners_only", "issues"})  # contributors who send no changes
CAPACITY = {"none": 0, "internal": 1, "dedicated": 2}
# Maintainer time each open source model needs (domain.md "Public possible").
NEEDS = {Governance.PUBLISH_ONLY: 0, Governance.SINGLE_VENDOR: 1}
SHARED_BEYOND = frozenset({Path.PARTNER_SOURCE, Path.INNERSOURCE_FIRST, Path.OPEN_SOURCE,
                           Path.CONTRIBUTE_UPSTREAM})
REVIEW_MONTHS = {Path.KEEP_CLOSED: 12, Path.INNERSOURCE: 6, Path.PARTNER_SOURCE: 6,
                 Path.INNERSOURCE_FIRST: 3, Path.OPEN_SOURCE: 6, Path.CONTRIBUTE_UPSTREAM: 6}


QUESTION_NAMES: dict[str, str] = {  # short names for questions, in the user's words
    "upstream": "Existing open source project",
    "upstream_health": "State of that project",
    "confidential": "Confidential content",
    "differentiator": "Competitive differentiator",
    "audience": "Who should see the code",
    "internal_only": "Needs internal systems",
    "users": "Who uses it",
    "contributors": "Who should contribute",
    "control": "Control the owners keep",
    "capacity": "Maintainer time",
    "entities": "Legal entities",
    "agreements": "Intercompany agreement",
    "regulated": "Regulated or ring-fenced entity",
    "obligations": "Obligations that apply",
    "ownership": "Rights to all of it",
    "motivation": "Goal of going public",
}


class UnansweredError(LookupError):
    """The rules need an answer that was never given and has no cautious reading."""


@dataclass
class Decision:
    """The outcome of the rules, before texts dress it up as a Recommendation."""

    answers: Answers
    path: Path = Path.KEEP_CLOSED
    governance: Governance = Governance.TEAM_OWNED
    target: Governance | None = None
    flags: list[Flag] = field(default_factory=list)
    reasons: list[tuple[str, str, str]] = field(default_factory=list)  # question, answer, why
    conflicts: list[Conflict] = field(default_factory=list)
    assumed: dict[str, AnswerValue] = field(default_factory=dict)
    first_steps: list[str] = field(default_factory=list)
    explain: bool = True  # False when only the outcome matters ("what would change" re-runs)

    def get(self, question: str) -> str:
        """The answer to a single-choice question, or its cautious reading."""
        answer = self.answers.get(question)
        if answer is None:
            answer = self._assume(question)
        return answer if isinstance(answer, str) else answer[0]

    def obligations(self) -> list[str]:
        """The obligations that apply (`["none"]`, `["unsure"]` or some of the others)."""
        answer = self.answers.get("obligations")
        if answer is None:
            answer = self._assume("obligations")
        return [answer] if isinstance(answer, str) else list(answer) or ["none"]

    def _assume(self, question: str) -> AnswerValue:
        if question not in CAUTIOUS:
            raise UnansweredError(question)
        self.assumed.setdefault(question, CAUTIOUS[question])
        return CAUTIOUS[question]

    def because(self, question: str, reason: str, answer: str | None = None) -> None:
        """Record the answer that drove a rule, with the rule's reason (each reason once)."""
        if not self.explain:
            return
        given = answer if answer is not None else self.get(question)
        if all(r[2] != reason for r in self.reasons):
            self.reasons.append((question, given, reason))

    def flag(self, flag: Flag) -> None:
        """Add a flag once."""
        if flag not in self.flags:
            self.flags.append(flag)

    def conflict(self, questions: list[str], summary: str, decide: str) -> None:
        """Two answers pull apart: the advice followed the more cautious one."""
        if not self.explain:
            return
        self.conflicts.append(Conflict(questions=questions, summary=summary, decide=decide))

    def first(self, step: str) -> None:
        """A step that must come before anything else (before any wider visibility)."""
        if step not in self.first_steps:
            self.first_steps.append(step)


def public_release_blockers(answers: Answers) -> list[tuple[str, str]]:
    """The (question, answer) pairs among these answers that rule out asking for a motivation."""
    return [(q, a) for q, a in PUBLIC_BLOCKERS if answers.get(q) == a]


def decide(answers: Answers, explain: bool = True) -> Decision:
    """Path, governance, flags, conflicts and reasons for the answers a walk of the flow gave
    (only path, governance, target and flags when `explain` is False)."""
    d = Decision(answers, explain=explain)
    if d.get("upstream") == "fork":
        _fork(d)
    else:
        if d.get("upstream") == "overlaps":
            _overlap(d)
        _place(d)
    _split(d)
    _rights(d)
    _obligations(d)
    _tax(d)
    for question, value in d.assumed.items():
        shown = value if isinstance(value, str) else ", ".join(value)
        name = QUESTION_NAMES.get(question, question)
        d.because(question, f"\u201c{name}\u201d was not asked in this check; the advice reads "
                  "the cautious answer until you answer it.", answer=shown)
    return d


# --- the fork shortcut ----------------------------------------------------------------------

def _fork(d: Decision) -> None:
    health = d.get("upstream_health")
    if d.get("confidential") == "core" or d.get("differentiator") == "yes":
        d.path, d.governance = Path.KEEP_CLOSED, Governance.TEAM_OWNED
        question = "confidential" if d.get("confidential") == "core" else "differentiator"
        d.because(question, "The change itself is confidential or sets you apart: keep it as a "
                  "small private patch set.")
        d.flag(Flag.SPLIT)
        if health == "abandoned":
            _no_more_upstream_fixes(d)
        return
    if d.get("ownership") == "no":
        d.path, d.governance = Path.KEEP_CLOSED, Governance.TEAM_OWNED
        d.because("ownership", "Sending the change upstream publishes it, and some of it belongs "
                  "to others.")
        return
    if "export_control" in d.obligations():
        d.path, d.governance = Path.KEEP_CLOSED, Governance.TEAM_OWNED
        d.because("obligations", "Sending the change upstream publishes export-controlled "
                  "technology, which must be cleared first.", answer="export_control")
        return
    if health == "abandoned":
        _abandoned_upstream(d)
        return
    d.path, d.governance = Path.CONTRIBUTE_UPSTREAM, Governance.UPSTREAM
    d.because("upstream", "It mainly changes an existing open source project; merged upstream, "
              "the change stops costing you maintenance.")
    if health == "slow":
        d.because("upstream_health", "The upstream merges slowly: keep the patch set you carry "
                  "small and rebased while you wait.")


def _no_more_upstream_fixes(d: Decision) -> None:
    d.because("upstream_health", "The upstream is abandoned, so no more security fixes arrive "
              "from it: look for a maintained successor fork.")
    d.flag(Flag.CAPACITY_GAP)


def _abandoned_upstream(d: Decision) -> None:
    d.path, d.governance = Path.KEEP_CLOSED, Governance.TEAM_OWNED
    if d.get("capacity") == "none":
        d.because("capacity", "Nobody has time to maintain it as a new public home.")
        _no_more_upstream_fixes(d)
    elif d.get("ownership") != "yes":
        d.because("ownership", "A new public home needs rights to every line, which are not "
                  "clear yet.")
    elif d.obligations() == ["unsure"]:
        d.because("obligations", "Nobody knows yet what the code contains; it cannot become a "
                  "public project before that is known.", answer="unsure")
    else:
        d.path, d.governance = Path.OPEN_SOURCE, Governance.SINGLE_VENDOR
        d.because("upstream_health", "The upstream is abandoned and you can maintain the code: "
                  "become its new home under the upstream's licence and a new name, after "
                  "offering the upstream a handover.")


def _overlap(d: Decision) -> None:
    if d.get("upstream_health") == "abandoned":
        d.because("upstream_health", "The project it overlaps with is abandoned, so there is "
                  "nothing to contribute to.")
    else:
        d.because("upstream", "It overlaps with a living open source project: contributing "
                  "there may serve you better than a project of your own.")


# --- placement: public, partners, or inside the company --------------------------------------

def _place(d: Decision) -> None:
    blockers = _hard_limits(d)
    outside = _outside(d)
    public_wanted = d.get("audience") == "public" and not blockers
    if public_wanted and d.get("motivation") == "none":
        d.because("motivation", "Nothing named would be gained from publishing, so it is shared "
                  "without going public.")
        public_wanted = False
    if not public_wanted:
        _share(d, outside)
        return
    target, needs = _open_source_model(d)
    if _ready(d, needs):
        d.path, d.governance = Path.OPEN_SOURCE, target
        return
    _share(d, outside)
    if d.path is Path.INNERSOURCE:
        d.path = Path.INNERSOURCE_FIRST
    reachable = needs == 0 or CAPACITY[d.get("capacity")] > 0
    d.target = target if reachable else None
    if not reachable:
        d.because("capacity", "No later open source model is named while nobody has time to "
                  "maintain it.")


def _hard_limits(d: Decision) -> list[str]:
    found = []
    for (question, answer), reason in PUBLIC_BLOCKERS.items():
        if d.get(question) == answer:
            d.because(question, reason)
            found.append(question)
    if d.get("audience") == "company":
        d.because("audience", "You prefer to keep it inside the company; that is your choice, "
                  "not a limit of the code.")
        found.append("audience")
    if d.get("ownership") == "no":
        d.because("ownership", "Not all of it is yours to publish.")
        found.append("ownership")
    if "export_control" in d.obligations():
        d.because("obligations", "Export-controlled technology cannot be published until export "
                  "compliance clears it.", answer="export_control")
        found.append("obligations")
    return found


def _outside(d: Decision) -> bool:
    """Outside organisations must see or change the code (never called InnerSource)."""
    if d.get("contributors") == "external":
        d.because("contributors", "Outside organisations should co-develop it, so they must see "
                  "and change the code.")
        return True
    if d.get("users") == "external" and d.get("audience") in ("restricted", "public"):
        d.because("users", "People outside the company use it and should be able to see the "
                  "code.")
        return True
    return False


def _share(d: Decision, outside: bool) -> None:
    audience, users, contributors = d.get("audience"), d.get("users"), d.get("contributors")
    if audience == "team" and (outside or (users == "team" and contributors not in FEW)):
        d.path, d.governance = Path.KEEP_CLOSED, Governance.TEAM_OWNED
        d.conflict(["audience", "contributors"], "Others should contribute, but only the owning "
                   "team should see the code.", "Decide whether the contributors may see it; "
                   "until then it stays with the owning team.")
        return
    if outside:
        d.path, d.governance = Path.PARTNER_SOURCE, _ladder(d)
        d.flag(Flag.PARTNER_AGREEMENT)
    elif audience == "team" and users == "team":
        d.path, d.governance = Path.KEEP_CLOSED, Governance.TEAM_OWNED
        d.because("users", "Nobody else uses it or should contribute, so sharing would be "
                  "overhead without benefit.")
        return
    elif audience == "team":
        d.path, d.governance = Path.INNERSOURCE, _ladder(d)
        d.flag(Flag.RESTRICTED_VISIBILITY)
        d.conflict(["audience", "users"], "Other teams use it, but only the owning team should "
                   "see the code.", "Decide whether the using teams may see it; until then "
                   "visibility is restricted to them.")
    else:
        d.path, d.governance = Path.INNERSOURCE, _ladder(d)
    if audience == "restricted":
        d.flag(Flag.RESTRICTED_VISIBILITY)


def _ladder(d: Decision) -> Governance:
    """The InnerSource governance level (also used with partners) from contributors, control
    and capacity."""
    contributors, control = d.get("contributors"), d.get("control")
    if contributors in FEW:
        if control in ("shared", "neutral"):
            d.conflict(["control", "contributors"], "Control should be shared, but only the "
                       "owners change the code.", "Decide who else should contribute; until "
                       "then the owners keep the decisions.")
        d.because("contributors", "Others read it and report issues; the owners do the work.")
        return Governance.READABLE_SOURCE
    peers = contributors in ("co_maintainers", "external")
    if d.get("capacity") == "none":
        d.flag(Flag.CAPACITY_GAP)
        if peers and control != "full":
            d.because("capacity", "Nobody has time to review, and co-maintainers are the cure: "
                      "give people from the using side commit rights.")
            return Governance.SHARED_WRITE_ACCESS
        d.because("capacity", "Contributions are wanted but nobody has time to review them: "
                  "start readable, and budget maintainer time before inviting changes.")
        return Governance.READABLE_SOURCE
    if not peers or control == "full":
        d.because("contributors", "Others send changes that trusted committers review and merge "
                  "while the owners decide.")
        return Governance.CONTRIBUTIONS_WELCOME
    if control == "final_say":
        d.because("control", "The owners keep the final say, with a documented path to commit "
                  "rights for others.")
        return Governance.SHARED_WRITE_ACCESS
    d.because("control", "Maintainers from several sides work as equal peers.")
    return Governance.SHARED_OWNERSHIP


def _open_source_model(d: Decision) -> tuple[Governance, int]:
    """The open source model the answers ask for, and the maintainer time it needs."""
    contributors, control, motivation = d.get("contributors"), d.get("control"), d.get("motivation")
    if contributors in FEW and motivation in ("transparency", "reputation"):
        d.because("motivation", "The goal is to show the code, not to run a community: publish "
                  "it as it is, and say so.")
        if motivation == "reputation" and d.get("capacity") == "none":
            d.conflict(["motivation", "capacity"], "A public project for reputation, but no time "
                       "to answer anyone.", "Turn issues off and name a security contact, or "
                       "budget maintainer time.")
        return Governance.PUBLISH_ONLY, 0
    if contributors in FEW:
        if control in ("shared", "neutral") or motivation == "standard":
            d.conflict(["control", "contributors"], "Shared or neutral control, but only the "
                       "owners change the code.", "Decide who else should contribute; until "
                       "then your maintainers keep the decisions.")
        d.because("contributors", "Your maintainers make the changes and decide; others use it "
                  "and report issues.")
        return Governance.SINGLE_VENDOR, 1
    if control in ("shared", "neutral") and (
        control == "neutral" or motivation == "standard" or contributors == "external"
    ):
        d.because("control", "Several companies should steer it as equals: it needs a neutral "
                  "home they can trust.")
        return Governance.FOUNDATION, 2
    if motivation == "standard":
        d.conflict(["motivation", "control"], "An industry standard needs a neutral home, but "
                   "the owners want to keep control.", "Decide whether to share control; until "
                   "then your maintainers decide.")
    if control == "shared":
        d.because("control", "Control is shared with contributors who earn commit rights on "
                  "merit.")
        return Governance.MERITOCRACY, 2
    if control == "final_say" and motivation == "adoption":
        d.because("motivation", "You want adoption while keeping the final say: grow an ecosystem "
                  "of extensions around a core you steer.")
        return Governance.BENEVOLENT_DICTATOR, 2
    d.because("control", "Your maintainers keep the decisions and review outside changes.")
    return Governance.SINGLE_VENDOR, 2


def _ready(d: Decision, needs: int) -> bool:
    ready = True
    if d.get("ownership") == "unsure":
        d.because("ownership", "Rights to every line must be cleared before a public release.")
        ready = False
    if CAPACITY[d.get("capacity")] < needs:
        d.because("capacity", "A public project of this kind needs maintainer time for outside "
                  "changes and vulnerability reports; budget it first.")
        d.flag(Flag.CAPACITY_GAP)
        ready = False
    if d.obligations() == ["unsure"]:
        d.because("obligations", "Nobody knows yet what the code contains: not ready for a "
                  "public release until the repository is scanned.", answer="unsure")
        ready = False
    return ready


# --- on every path ----------------------------------------------------------------------------

def _split(d: Decision) -> None:
    if d.path not in SHARED_BEYOND:
        return
    for question, partial in (("confidential", "separable"), ("differentiator", "partly")):
        if d.get(question) == partial:
            d.flag(Flag.SPLIT)
            d.because(question, "Part of it should not leave the company: separate that part "
                      "before sharing the rest outside.")


def _rights(d: Decision) -> None:
    ownership = d.get("ownership")
    if ownership == "yes":
        return
    d.flag(Flag.LEGAL_REVIEW)
    where = {Path.KEEP_CLOSED: "before it is shared with anyone",
             Path.CONTRIBUTE_UPSTREAM: "before the change goes upstream"}.get(
        d.path, "before it is shared further, inside the group as well")
    if ownership == "unsure":
        d.because("ownership", f"It is not known whether you hold the rights to all of it: "
                  f"check {where}.")
    else:
        d.because("ownership", f"Some of it belongs to others: clear their rights {where}.")


def _obligations(d: Decision) -> None:
    found = d.obligations()
    if found == ["unsure"]:
        d.first("Scan the repository and its history for third-party licences, credentials and "
                "personal data, then answer the obligations question again.")
        d.because("obligations", "Nobody knows yet whether export rules, personal data, "
                  "contracts, copyleft, patents or credentials apply; they may.", answer="unsure")
        return
    for obligation in found:
        flag = OBLIGATION_FLAGS.get(obligation)
        if flag is None:
            continue
        d.flag(flag)
        d.because("obligations", OBLIGATION_REASONS[obligation], answer=obligation)
    if "export_control" in found and d.answers.get("audience") in ("company", "public"):
        d.flag(Flag.RESTRICTED_VISIBILITY)
        d.conflict(["audience", "obligations"], "You would like wide visibility, but the code is "
                   "export controlled.", "Ask export compliance who may see it; until then "
                   "access is restricted.")
    if "copyleft" in found and d.path is Path.PARTNER_SOURCE:
        d.conflict(["obligations", "contributors" if d.get("contributors") == "external"
                    else "users"], "Copyleft code cannot be shared with partners under an NDA or "
                   "source-available terms.", "Replace the copyleft parts, or share under the "
                   "copyleft licence's own terms.")
    if "personal_data" in found:
        d.first("Before anyone new can see it, purge the personal data from the code, the tests "
                "and the history.")
    if "secrets" in found:
        d.first("Before anyone new can see it, rotate every credential ever committed, then "
                "clean or restart the history.")


OBLIGATION_FLAGS = {"encryption": Flag.EXPORT_CONTROL, "export_control": Flag.EXPORT_CONTROL,
                    "personal_data": Flag.PERSONAL_DATA, "contract": Flag.CONTRACT_REVIEW,
                    "copyleft": Flag.LICENCE_OBLIGATIONS, "patents": Flag.PATENT_REVIEW,
                    "secrets": Flag.SECRET_CLEANUP}
OBLIGATION_REASONS = {
    "encryption": "It contains cryptography, which export rules cover until it is published.",
    "export_control": "Export rules restrict who, in which country, may see this technology.",
    "personal_data": "Personal data must not reach anyone new, history included.",
    "contract": "A contract or NDA may limit who may see or reuse this code.",
    "copyleft": "Third-party copyleft code decides the licence for whoever receives this code.",
    "patents": "A patent needs filing or clearing before anything is published.",
    "secrets": "Credentials committed once stay in the history until rotated and removed.",
}


def _tax(d: Decision) -> None:
    entities = d.get("entities")
    if entities == "one":
        return
    d.flag(Flag.TRANSFER_PRICING)
    if entities == "unknown":
        d.because("entities", "It is not known whether several legal entities are involved; "
                  "find out, since cross-entity work may have to be priced.")
    elif entities == "several_same_country":
        d.because("entities", "Several entities in one country: related-party rules may apply "
                  "domestically.")
    else:
        d.because("entities", "Work across entities in several countries must be priced at "
                  "arm's length.")
    agreements = d.get("agreements")
    if agreements in ("none", "unknown"):
        d.flag(Flag.INTERCOMPANY_AGREEMENT)
        d.because("agreements", "No intercompany agreement is known to cover the cross-entity "
                  "work." if agreements == "unknown" else "No intercompany agreement covers the "
                  "cross-entity work.")
    regulated = d.get("regulated")
    if regulated in ("yes", "unknown"):
        d.flag(Flag.RING_FENCING)
        d.because("regulated", "A regulated or ring-fenced entity is involved." if regulated ==
                  "yes" else "It is not known whether a regulated or ring-fenced entity is "
                  "involved; it may be.")
