"""The public contract of a recommendation: stable ids for paths, governance models and flags."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Path(StrEnum):
    """Where the code should live."""

    KEEP_CLOSED = "keep_closed"
    INNERSOURCE = "innersource"
    PARTNER_SOURCE = "partner_source"
    INNERSOURCE_FIRST = "innersource_first"
    OPEN_SOURCE = "open_source"
    CONTRIBUTE_UPSTREAM = "contribute_upstream"


class Governance(StrEnum):
    """How decisions are made, from the lowest rung of each ladder to the highest."""

    TEAM_OWNED = "team_owned"
    READABLE_SOURCE = "readable_source"
    CONTRIBUTIONS_WELCOME = "contributions_welcome"
    SHARED_WRITE_ACCESS = "shared_write_access"
    SHARED_OWNERSHIP = "shared_ownership"
    PUBLISH_ONLY = "publish_only"
    SINGLE_VENDOR = "single_vendor"
    BENEVOLENT_DICTATOR = "benevolent_dictator"
    MERITOCRACY = "meritocracy"
    FOUNDATION = "foundation"
    UPSTREAM = "upstream"


class Flag(StrEnum):
    """Obligations and warnings that come with any path."""

    TRANSFER_PRICING = "transfer_pricing"
    INTERCOMPANY_AGREEMENT = "intercompany_agreement"
    RING_FENCING = "ring_fencing"
    RESTRICTED_VISIBILITY = "restricted_visibility"
    SPLIT = "split"
    LEGAL_REVIEW = "legal_review"
    CAPACITY_GAP = "capacity_gap"
    PARTNER_AGREEMENT = "partner_agreement"
    EXPORT_CONTROL = "export_control"
    PERSONAL_DATA = "personal_data"
    CONTRACT_REVIEW = "contract_review"
    LICENCE_OBLIGATIONS = "licence_obligations"
    PATENT_REVIEW = "patent_review"
    SECRET_CLEANUP = "secret_cleanup"  # noqa: S105  (a flag id, not a password)


OPENNESS: dict[Path, int] = {
    Path.KEEP_CLOSED: 0,
    Path.INNERSOURCE: 1,
    Path.PARTNER_SOURCE: 1,
    Path.INNERSOURCE_FIRST: 2,
    Path.OPEN_SOURCE: 3,
}
"""How open each path is (domain.md, principle 2). `contribute_upstream` stands apart, and
`partner_source` and `innersource_first` are not compared with each other: use `more_open`."""


def more_open(path: Path, than: Path) -> bool:
    """True when `path` is strictly more open than `than` on domain.md's partial order."""
    if Path.CONTRIBUTE_UPSTREAM in (path, than):
        return False
    if {path, than} == {Path.PARTNER_SOURCE, Path.INNERSOURCE_FIRST}:
        return False
    return OPENNESS[path] > OPENNESS[than]


INNERSOURCE_MODELS = frozenset(
    {
        Governance.READABLE_SOURCE,
        Governance.CONTRIBUTIONS_WELCOME,
        Governance.SHARED_WRITE_ACCESS,
        Governance.SHARED_OWNERSHIP,
    }
)
OPEN_SOURCE_MODELS = frozenset(
    {
        Governance.PUBLISH_ONLY,
        Governance.SINGLE_VENDOR,
        Governance.BENEVOLENT_DICTATOR,
        Governance.MERITOCRACY,
        Governance.FOUNDATION,
    }
)

PATH_TITLES: dict[Path, str] = {
    Path.KEEP_CLOSED: "Keep it closed",
    Path.INNERSOURCE: "InnerSource",
    Path.PARTNER_SOURCE: "Partner source",
    Path.INNERSOURCE_FIRST: "InnerSource first, open source later",
    Path.OPEN_SOURCE: "Open source",
    Path.CONTRIBUTE_UPSTREAM: "Contribute upstream",
}

PATH_MEANINGS: dict[Path, str] = {
    Path.KEEP_CLOSED: "A team-owned repository with no InnerSource overhead.",
    Path.INNERSOURCE: "Visible and open to contribution inside the company, with open source "
    "practices.",
    Path.PARTNER_SOURCE: "Shared with named partner companies under a contract, not public.",
    Path.INNERSOURCE_FIRST: "InnerSource now, with explicit exit criteria for a public release "
    "later.",
    Path.OPEN_SOURCE: "Published under an open source licence for anyone to use and improve.",
    Path.CONTRIBUTE_UPSTREAM: "Send the change to the existing open source project instead of "
    "keeping a fork.",
}

GOVERNANCE_TITLES: dict[Governance, str] = {
    Governance.TEAM_OWNED: "Team owned",
    Governance.READABLE_SOURCE: "Readable source",
    Governance.CONTRIBUTIONS_WELCOME: "Contributions welcome",
    Governance.SHARED_WRITE_ACCESS: "Shared write access",
    Governance.SHARED_OWNERSHIP: "Shared ownership",
    Governance.PUBLISH_ONLY: "Publish only",
    Governance.SINGLE_VENDOR: "Single vendor",
    Governance.BENEVOLENT_DICTATOR: "Controlled ecosystem",
    Governance.MERITOCRACY: "Committer meritocracy",
    Governance.FOUNDATION: "Vendor-neutral foundation",
    Governance.UPSTREAM: "Upstream's own governance",
}

GOVERNANCE_MEANINGS: dict[Governance, str] = {
    Governance.TEAM_OWNED: "The owning team decides and does the work; nobody else is invited.",
    Governance.READABLE_SOURCE: "Others read the code and file issues; the owners do the work.",
    Governance.CONTRIBUTIONS_WELCOME: "Trusted committers mentor and merge outside patches; the "
    "owners decide. CONTRIBUTING file and a 30-day warranty.",
    Governance.SHARED_WRITE_ACCESS: "A documented path to commit rights for people from other "
    "teams.",
    Governance.SHARED_OWNERSHIP: "Maintainers from several teams work as peers and decide by RFC; "
    "one accountable owner remains.",
    Governance.PUBLISH_ONLY: "A licence and a README, no support promised, and that said openly.",
    Governance.SINGLE_VENDOR: "Company maintainers decide; outside pull requests are welcome under "
    "a CLA or DCO.",
    Governance.BENEVOLENT_DICTATOR: "The owner keeps the final say and grows an ecosystem through "
    "plugins.",
    Governance.MERITOCRACY: "Committers are admitted on merit; decisions by consensus, with voting "
    "as the fallback.",
    Governance.FOUNDATION: "A neutral home owns trademark and infrastructure; several vendors "
    "govern together.",
    Governance.UPSTREAM: "Join the upstream project's own governance as a contributor.",
}

FLAG_TITLES: dict[Flag, str] = {
    Flag.TRANSFER_PRICING: "Transfer pricing",
    Flag.INTERCOMPANY_AGREEMENT: "Intercompany agreement needed",
    Flag.RING_FENCING: "Regulated or ring-fenced entity",
    Flag.RESTRICTED_VISIBILITY: "Restricted visibility",
    Flag.SPLIT: "Split the code",
    Flag.LEGAL_REVIEW: "Legal review",
    Flag.CAPACITY_GAP: "Maintainer capacity gap",
    Flag.PARTNER_AGREEMENT: "Partner agreement",
    Flag.EXPORT_CONTROL: "Export control",
    Flag.PERSONAL_DATA: "Personal data",
    Flag.CONTRACT_REVIEW: "Contract review",
    Flag.LICENCE_OBLIGATIONS: "Licence obligations",
    Flag.PATENT_REVIEW: "Patent review",
    Flag.SECRET_CLEANUP: "Secret clean-up",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


AnswerValue = str | list[str]
"""One option id, or a list of option ids for a question that takes several (`obligations`)."""


class Link(_Frozen):
    """Further reading."""

    title: str
    url: str


class Reason(_Frozen):
    """One answer that drove the recommendation, and why."""

    question: str
    answer: str
    reason: str


class FlagNote(_Frozen):
    """A flag with the one concrete thing to do about it and where to read more."""

    flag: Flag
    action: str
    links: list[Link] = Field(default_factory=list)


class Conflict(_Frozen):
    """Two or more answers that pull apart; the advice followed the more cautious one."""

    questions: list[str]
    summary: str  # what pulls apart, in the user's words
    decide: str  # what to decide to resolve it


class Change(_Frozen):
    """One answer given differently, in ids and in the user's words."""

    question: str
    answer: AnswerValue
    text: str  # e.g. "Maintainer time: Dedicated time, public issues included"


class WhatIf(_Frozen):
    """A set of changed answers and the outcome they really lead to (re-assessed, not guessed)."""

    changes: list[Change]
    path: Path
    governance: Governance
    target_governance: Governance | None = None
    # Questions the changed answers open that were never asked, read cautiously (domain.md
    # principle 5); re-assessing changes plus these gives exactly this outcome.
    assumed: list[Change] = Field(default_factory=list)

    @property
    def said(self) -> str:
        """The changed answers in the user's words, joined for a sentence."""
        return " and ".join(change.text for change in self.changes)


class WhatWouldChange(_Frozen):
    """domain.md's "What would change": single answers you could decide differently (`choices`),
    single facts that would change it (`facts`), and for each more open path the smallest set of
    at most two changed answers that reaches it (`routes`)."""

    choices: list[WhatIf] = Field(default_factory=list)
    facts: list[WhatIf] = Field(default_factory=list)
    routes: list[WhatIf] = Field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.choices or self.facts or self.routes)

    @property
    def all(self) -> list[WhatIf]:
        """Every entry, choices first, then facts, then routes."""
        return [*self.choices, *self.facts, *self.routes]


class Evidence(_Frozen):
    """An answer suggested by evidence (a repository scan) that the recommendation used."""

    question: str
    answer: AnswerValue
    detail: str  # what was found and where, never a secret's value
    confidence: float = Field(ge=0, le=1)
    source: str = "scan"


class Recommendation(_Frozen):
    """The advice for one set of answers: the public contract of `assess` and the history."""

    path: Path
    governance: Governance
    target_governance: Governance | None = None
    flags: list[Flag]
    flag_notes: list[FlagNote]
    conflicts: list[Conflict] = Field(default_factory=list)
    rationale: list[Reason]
    next_steps: list[str]
    what_would_change: WhatWouldChange = Field(default_factory=WhatWouldChange)
    learn_more: list[Link]
    review_in_months: int
    evidence: list[Evidence] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _read_version_1(cls, data: Any) -> Any:
        """History written by version 1 kept `what_would_change` as a flat list of single
        answers ({question, answer, path, governance}); read those as `choices`."""
        if isinstance(data, dict) and isinstance(data.get("what_would_change"), list):
            choices = [
                {"changes": [{"question": w["question"], "answer": w["answer"],
                              "text": f"{w['question']}: {w['answer']}"}],
                 "path": w["path"], "governance": w["governance"]}
                for w in data["what_would_change"]
            ]
            data = {**data, "what_would_change": {"choices": choices}}
        return data

    @property
    def headline(self) -> str:
        """One line for notifications: path and governance model."""
        text = f"{PATH_TITLES[self.path]}: {GOVERNANCE_TITLES[self.governance]}"
        if self.target_governance is not None:
            text += f" (later: {GOVERNANCE_TITLES[self.target_governance]})"
        return text
