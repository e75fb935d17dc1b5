"""Realistic cases with the outcome an OSPO lead would sign, written down before the rules.

Each case is a complete answers dict (PUBLIC or FORK with the case's answers on top; the engine
refuses any walk that misses an answer), the expected path and governance, flags that must and
must not appear, and whether the answers pull apart (a conflict is named).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.core.engine import Engine

ENGINE = Engine.default()

PUBLIC = {"upstream": "no", "confidential": "none", "differentiator": "no", "audience": "public",
          "internal_only": "no", "users": "many_teams", "contributors": "patches",
          "control": "final_say", "capacity": "dedicated", "obligations": ["none"],
          "ownership": "yes", "entities": "one", "motivation": "adoption"}
FORK = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
        "differentiator": "no", "obligations": ["none"], "ownership": "yes", "entities": "one"}
INSIDE = {**PUBLIC, "audience": "company"}


@dataclass
class Case:
    story: str
    answers: dict[str, object]
    path: str
    governance: str
    flags: set[str] = field(default_factory=set)
    not_flags: set[str] = field(default_factory=set)
    conflict: bool = False
    target: str | None = None


CASES = [
    Case("A team's deployment scripts that nobody else uses",
         {**PUBLIC, "audience": "team", "internal_only": "yes", "users": "team",
          "contributors": "owners_only", "control": "full", "capacity": "none"},
         "keep_closed", "team_owned", not_flags={"legal_review", "restricted_visibility"}),
    Case("Fraud-scoring engine shown to selected risk teams",
         {**PUBLIC, "confidential": "core", "differentiator": "yes", "audience": "restricted",
          "users": "few_teams", "contributors": "issues", "control": "full",
          "capacity": "internal"},
         "innersource", "readable_source", {"restricted_visibility"}, {"split"}),
    Case("Deploy tooling co-maintained by teams in three countries, no agreement",
         {**INSIDE, "internal_only": "yes", "contributors": "co_maintainers",
          "capacity": "internal", "entities": "several_countries", "agreements": "none",
          "regulated": "no"},
         "innersource", "shared_write_access", {"transfer_pricing", "intercompany_agreement"},
         {"ring_fencing"}),
    Case("Shared platform run by peer teams",
         {**INSIDE, "contributors": "co_maintainers", "control": "shared"},
         "innersource", "shared_ownership"),
    Case("Library many teams want to patch, nobody to review",
         {**INSIDE, "capacity": "none"}, "innersource", "readable_source", {"capacity_gap"}),
    Case("Co-maintainers from the using teams as the cure for no time",
         {**INSIDE, "contributors": "co_maintainers", "capacity": "none"},
         "innersource", "shared_write_access", {"capacity_gap"}),
    Case("Internal portal built by contractors, rights unclear",
         {**INSIDE, "ownership": "unsure"}, "innersource", "contributions_welcome",
         {"legal_review"}),
    Case("Platform SDK for adoption, owners keep the final say",
         PUBLIC, "open_source", "benevolent_dictator", not_flags={"capacity_gap"}),
    Case("Logging library with control shared with contributors",
         {**PUBLIC, "control": "shared", "motivation": "reputation"},
         "open_source", "meritocracy"),
    Case("Data-exchange format built with partner companies as a standard",
         {**PUBLIC, "users": "external", "contributors": "external", "control": "shared",
          "motivation": "standard"}, "open_source", "foundation"),
    Case("Transparency release of a scoring model nobody will maintain",
         {**PUBLIC, "contributors": "owners_only", "control": "full", "capacity": "none",
          "motivation": "transparency"}, "open_source", "publish_only",
         not_flags={"capacity_gap"}),
    Case("Reputation project with no time to answer anyone",
         {**PUBLIC, "contributors": "issues", "capacity": "none", "motivation": "reputation"},
         "open_source", "publish_only", conflict=True),
    Case("Promising library, rights to a contractor's part unclear",
         {**PUBLIC, "ownership": "unsure"}, "innersource_first", "contributions_welcome",
         {"legal_review"}, target="benevolent_dictator"),
    Case("Research prototype nobody will maintain, hoped to become a standard",
         {**PUBLIC, "control": "neutral", "capacity": "none", "motivation": "standard"},
         "innersource_first", "readable_source", {"capacity_gap"}, target=None),
    Case("Ready to publish, but nothing to gain from it",
         {**PUBLIC, "motivation": "none"}, "innersource", "contributions_welcome"),
    Case("Integration SDK co-developed with partner companies, a differentiator",
         {**PUBLIC, "differentiator": "yes", "users": "external", "contributors": "external"},
         "partner_source", "shared_write_access", {"partner_agreement"}),
    Case("Partner SDK that links GPL code",
         {**PUBLIC, "differentiator": "yes", "users": "external", "contributors": "external",
          "obligations": ["copyleft"]}, "partner_source", "shared_write_access",
         {"partner_agreement", "licence_obligations"}, conflict=True),
    Case("Customer-funded connector the customer reads, under contract",
         {**PUBLIC, "audience": "restricted", "users": "external", "contributors": "issues",
          "obligations": ["contract"]}, "partner_source", "readable_source",
         {"partner_agreement", "contract_review", "restricted_visibility"}),
    Case("TLS helper library going public", {**PUBLIC, "obligations": ["encryption"]},
         "open_source", "benevolent_dictator", {"export_control"}),
    Case("Dual-use signal processing wanted public",
         {**PUBLIC, "obligations": ["export_control"]}, "innersource", "contributions_welcome",
         {"export_control", "restricted_visibility"}, conflict=True),
    Case("HR analytics with pseudonymised employee data in its tests",
         {**INSIDE, "obligations": ["personal_data"]}, "innersource", "contributions_welcome",
         {"personal_data"}),
    Case("Public-ready tool whose history once held a cloud key",
         {**PUBLIC, "obligations": ["secrets"]}, "open_source", "benevolent_dictator",
         {"secret_cleanup"}),
    Case("Nobody knows what the repository contains",
         {**PUBLIC, "obligations": ["unsure"]}, "innersource_first", "contributions_welcome",
         target="benevolent_dictator"),
    Case("Compression library with a patent filed",
         {**PUBLIC, "obligations": ["patents"]}, "open_source", "benevolent_dictator",
         {"patent_review"}),
    Case("Bug fix to an active upstream", FORK, "contribute_upstream", "upstream",
         not_flags={"legal_review", "capacity_gap"}),
    Case("Patch to a slow upstream, rights partly unclear",
         {**FORK, "upstream_health": "slow", "ownership": "unsure"},
         "contribute_upstream", "upstream", {"legal_review"}),
    Case("Fork of an abandoned library the team can maintain",
         {**FORK, "upstream_health": "abandoned", "capacity": "internal"},
         "open_source", "single_vendor"),
    Case("Fork of an abandoned library nobody can maintain",
         {**FORK, "upstream_health": "abandoned", "capacity": "none"},
         "keep_closed", "team_owned", {"capacity_gap"}),
    Case("Fork of an abandoned library, rights unsure",
         {**FORK, "upstream_health": "abandoned", "capacity": "dedicated",
          "ownership": "unsure"}, "keep_closed", "team_owned", {"legal_review"}),
    Case("Fork carrying the secret pricing rules",
         {**FORK, "confidential": "core"}, "keep_closed", "team_owned", {"split"}),
    Case("Bank group sharing code with a ring-fenced bank, agreement in place",
         {**INSIDE, "entities": "several_countries", "agreements": "in_place",
          "regulated": "yes"}, "innersource", "contributions_welcome",
         {"transfer_pricing", "ring_fencing"}, {"intercompany_agreement"}),
    Case("Two entities in one country, nobody knows about agreements or regulation",
         {**INSIDE, "entities": "several_same_country", "agreements": "unknown",
          "regulated": "unknown"}, "innersource", "contributions_welcome",
         {"transfer_pricing", "intercompany_agreement", "ring_fencing"}),
    Case("Other teams use it, but only the owners should see it",
         {**PUBLIC, "audience": "team", "users": "few_teams", "contributors": "issues"},
         "innersource", "readable_source", {"restricted_visibility"}, conflict=True),
    Case("Only the owners change it, yet control is to be shared",
         {**INSIDE, "contributors": "owners_only", "control": "shared"},
         "innersource", "readable_source", conflict=True),
    Case("Customers use the product; the source stays inside",
         {**INSIDE, "users": "external", "contributors": "issues"},
         "innersource", "readable_source", not_flags={"partner_agreement"}),
    Case("Separable confidential part, published openly",
         {**PUBLIC, "confidential": "separable"}, "open_source", "benevolent_dictator",
         {"split"}),
    Case("Partly a differentiator, shared only inside",
         {**INSIDE, "differentiator": "partly"}, "innersource", "contributions_welcome",
         not_flags={"split"}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.story for c in CASES])
def test_each_case_gets_the_outcome_an_ospo_lead_expects(case: Case) -> None:
    ENGINE.walk(case.answers)  # every question the walk asks is answered: a complete case
    _, rec = ENGINE.assess(case.answers)
    assert (rec.path, rec.governance) == (case.path, case.governance)
    assert case.flags <= set(rec.flags), rec.flags
    assert not case.not_flags & set(rec.flags), rec.flags
    assert bool(rec.conflicts) == case.conflict, rec.conflicts
    if case.path in ("innersource_first",) or case.target:
        assert rec.target_governance == case.target


def test_the_cases_cover_every_path_governance_family_and_flag() -> None:
    outcomes = [ENGINE.assess(c.answers)[1] for c in CASES]
    assert {r.path.value for r in outcomes} == {
        "keep_closed", "innersource", "partner_source", "innersource_first", "open_source",
        "contribute_upstream"}
    assert {r.governance.value for r in outcomes} >= {
        "team_owned", "readable_source", "contributions_welcome", "shared_write_access",
        "shared_ownership", "publish_only", "single_vendor", "benevolent_dictator",
        "meritocracy", "foundation", "upstream"}
    assert {f.value for r in outcomes for f in r.flags} == {
        "transfer_pricing", "intercompany_agreement", "ring_fencing", "restricted_visibility",
        "split", "legal_review", "capacity_gap", "partner_agreement", "export_control",
        "personal_data", "contract_review", "licence_obligations", "patent_review",
        "secret_cleanup"}
    assert len(CASES) >= 24
