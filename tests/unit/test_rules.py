"""The rules: realistic personas, each rule's reason, and what would change the advice."""

from __future__ import annotations

import pytest

BASE = {
    "upstream": "no", "confidential": "none", "differentiator": "no", "audience": "public",
    "internal_only": "no", "users": "many_teams", "contributors": "patches", "control": "full",
    "capacity": "dedicated", "entities": "one", "ownership": "yes", "motivation": "reputation",
}

# (persona, answers that differ from BASE, path, governance, flags that must be present)
PERSONAS = [
    ("fraud-scoring engine", {"confidential": "core", "differentiator": "yes",
                              "audience": "restricted", "users": "few_teams"},
     "innersource", "contributions_welcome", {"restricted_visibility"}),
    ("fork of an open source library", {"upstream": "fork"},
     "contribute_upstream", "upstream", set()),
    ("fork with unclear rights", {"upstream": "fork", "ownership": "unsure"},
     "contribute_upstream", "upstream", {"legal_review"}),
    ("internal deploy tooling, many teams, several countries",
     {"internal_only": "yes", "audience": "company", "contributors": "co_maintainers",
      "capacity": "internal", "entities": "several_countries", "agreements": "none"},
     "innersource", "shared_write_access", {"transfer_pricing", "intercompany_agreement"}),
    ("commodity logging library", {"control": "shared"}, "open_source", "meritocracy", set()),
    ("industry data-exchange format with partners",
     {"users": "external", "contributors": "external", "control": "shared",
      "motivation": "standard"}, "open_source", "foundation", set()),
    ("transparency-only release", {"contributors": "owners_only", "capacity": "none",
                                   "motivation": "transparency"},
     "open_source", "publish_only", set()),
    ("export-controlled code", {"audience": "restricted", "contributors": "issues"},
     "innersource", "readable_source", {"restricted_visibility"}),
    ("a team's private scripts", {"audience": "team", "users": "team",
                                  "contributors": "owners_only"},
     "keep_closed", "team_owned", set()),
    ("platform SDK for adoption", {"control": "final_say", "motivation": "adoption"},
     "open_source", "benevolent_dictator", set()),
    ("promising library, rights unclear", {"ownership": "unsure"},
     "innersource_first", "contributions_welcome", {"legal_review"}),
    ("wanted by many, nobody to review", {"audience": "company", "capacity": "none"},
     "innersource", "readable_source", {"capacity_gap"}),
    ("shared platform run by peers", {"audience": "company", "contributors": "co_maintainers",
                                      "control": "neutral"},
     "innersource", "shared_ownership", set()),
    ("bank component in a ring-fenced entity",
     {"differentiator": "yes", "entities": "several_same_country", "agreements": "regulated"},
     "innersource", "contributions_welcome", {"ring_fencing"}),
    ("separable pricing model", {"confidential": "separable", "differentiator": "yes"},
     "innersource", "contributions_welcome", {"split"}),
    ("public-ready but no reason to publish", {"motivation": "none"},
     "innersource", "contributions_welcome", set()),
]


@pytest.mark.parametrize(("persona", "changes", "path", "governance", "flags"), PERSONAS,
                         ids=[p[0] for p in PERSONAS])
def test_persona_gets_the_outcome_an_ospo_would_expect(  # noqa: PLR0917  (one per column)
        engine, persona, changes, path, governance, flags) -> None:
    _, rec = engine.assess({**BASE, **changes})
    assert (rec.path, rec.governance) == (path, governance), persona
    assert flags <= set(rec.flags)
    assert rec.rationale and rec.next_steps and rec.learn_more


@pytest.mark.parametrize(("changes", "question", "fragment"), [
    ({"confidential": "core"}, "confidential", "Confidential material"),
    ({"differentiator": "yes"}, "differentiator", "sets your products apart"),
    ({"audience": "team"}, "audience", "Only the owning team"),
    ({"audience": "restricted"}, "audience", "Only selected groups"),
    ({"internal_only": "yes"}, "internal_only", "only works with internal systems"),
    ({"audience": "company"}, "audience", "prefer to keep it inside"),
    ({"upstream": "overlaps"}, "upstream", "overlaps with an existing"),
    ({"ownership": "no"}, "ownership", "Rights to every line"),
    ({"capacity": "internal"}, "capacity", "maintainer time for outside issues"),
    ({"control": "neutral"}, "control", "neutral home"),
    ({"motivation": "none"}, "motivation", "Nothing named would be gained"),
    ({"entities": "several_countries", "agreements": "in_place"}, "entities",
     "substantially reduces"),
    ({"entities": "unknown", "agreements": "unknown"}, "agreements", "intercompany agreement"),
])
def test_each_rule_gives_its_reason_with_the_answer_that_drove_it(engine, changes, question,
                                                                  fragment) -> None:
    _, rec = engine.assess({**BASE, **changes})
    matching = [r for r in rec.rationale if r.question == question and fragment in r.reason]
    assert matching, [r.reason for r in rec.rationale]
    assert matching[0].answer == changes[question]


def test_commodity_code_across_countries_points_to_open_source(engine) -> None:
    answers = {**BASE, "audience": "company", "entities": "several_countries",
               "agreements": "in_place"}
    _, rec = engine.assess(answers)
    assert rec.path == "innersource"
    assert any("open source would remove most" in r.reason for r in rec.rationale)


def test_what_would_change_lists_exactly_the_answers_that_change_the_outcome(engine) -> None:
    _, rec = engine.assess(BASE)
    for what_if in rec.what_would_change.choices:
        change = what_if.changes[0]
        _, other = engine.assess({**BASE, change.question: change.answer}
                                 | _fill_opened(engine, BASE, change.question, change.answer))
        assert (other.path, other.governance) == (what_if.path, what_if.governance)
    listed = {(w.changes[0].question, w.changes[0].answer) for w in rec.what_would_change.choices}
    assert ("control", "shared") in listed and ("confidential", "core") in listed
    assert ("users", "few_teams") not in listed


def _fill_opened(engine, answers, question, option):
    # A changed answer may open a conditional question; the rules assume the cautious answer.
    changed = {**answers, question: option}
    try:
        engine.walk(changed)
    except LookupError as missing:
        return {missing.args[0]: {"agreements": "unknown", "ownership": "unsure",
                                  "motivation": "none"}[missing.args[0]]}
    return {}


def test_an_innersource_first_result_names_the_later_open_source_model(engine) -> None:
    _, rec = engine.assess({**BASE, "ownership": "unsure"})
    assert rec.target_governance == "single_vendor"
    assert any(step.startswith("Exit criteria") for step in rec.next_steps)
