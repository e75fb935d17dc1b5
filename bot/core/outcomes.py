"""The public contract of a recommendation: stable ids for paths, governance models and flags."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Path(StrEnum):
    """Where the code should live."""

    KEEP_CLOSED = "keep_closed"
    INNERSOURCE = "innersource"
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
    Path.INNERSOURCE_FIRST: "InnerSource first, open source later",
    Path.OPEN_SOURCE: "Open source",
    Path.CONTRIBUTE_UPSTREAM: "Contribute upstream",
}

PATH_MEANINGS: dict[Path, str] = {
    Path.KEEP_CLOSED: "A team-owned repository with no InnerSource overhead.",
    Path.INNERSOURCE: "Visible and open to contribution inside the company, with open source "
    "practices.",
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
    Governance.BENEVOLENT_DICTATOR: "Benevolent dictator",
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
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reason(_Frozen):
    """One answer that drove the recommendation, and why."""

    question: str
    answer: str
    reason: str


class FlagNote(_Frozen):
    """A flag with what to do about it."""

    flag: Flag
    action: str


class WhatIf(_Frozen):
    """A single different answer that would change the path or the governance model."""

    question: str
    answer: str
    path: Path
    governance: Governance


class Link(_Frozen):
    """Further reading."""

    title: str
    url: str


class Recommendation(_Frozen):
    """The advice for one set of answers: the public contract of `assess` and the history."""

    path: Path
    governance: Governance
    target_governance: Governance | None = None
    flags: list[Flag]
    flag_notes: list[FlagNote]
    rationale: list[Reason]
    next_steps: list[str]
    what_would_change: list[WhatIf]
    learn_more: list[Link]
    review_in_months: int

    @property
    def headline(self) -> str:
        """One line for notifications: path and governance model."""
        text = f"{PATH_TITLES[self.path]}: {GOVERNANCE_TITLES[self.governance]}"
        if self.target_governance is not None:
            text += f" (later: {GOVERNANCE_TITLES[self.target_governance]})"
        return text
