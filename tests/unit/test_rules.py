"""The rules of domain.md v2, one behaviour at a time: reasons, conflicts, tax wording, capacity
thresholds, the fork path, obligations, reachable targets, re-review months and what would
change. Whole realistic cases live in test_personas.py, the principles in test_properties.py."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.outcomes import Path, Recommendation
from bot.core.rules import decide

ENGINE = Engine.default()
PUBLIC = {"upstream": "no", "confidential": "none", "differentiator": "no", "audience": "public",
          "internal_only": "no", "users": "many_teams", "contributors": "patches",
          "control": "final_say", "capacity": "dedicated", "obligations": ["none"],
          "ownership": "yes", "entities": "one", "motivation": "adoption"}
INSIDE = {**PUBLIC, "audience": "company"}
FORK = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
        "differentiator": "no", "obligations": ["none"], "ownership": "yes", "entities": "one"}


def assess(answers: dict[str, object]) -> Recommendation:
    return ENGINE.assess(answers)[1]


def note(rec: Recommendation, flag: str) -> str:
    return next(n.action for n in rec.flag_notes if n.flag == flag)


@pytest.mark.parametrize(("changes", "question", "words"), [
    ({"confidential": "core"}, "confidential", "Confidential material sits at its core"),
    ({"audience": "company"}, "audience", "your choice, not a limit of the code"),
    ({"ownership": "no"}, "ownership", "Not all of it is yours to publish"),
    ({"ownership": "unsure"}, "ownership", "Rights to every line must be cleared"),
    ({"capacity": "internal"}, "capacity", "needs maintainer time"),
    ({"motivation": "none"}, "motivation", "Nothing named would be gained"),
    ({"obligations": ["export_control"]}, "obligations", "cannot be published until"),
    ({"entities": "several_same_country", "agreements": "in_place", "regulated": "no"},
     "entities", "related-party rules may apply domestically"),
])
def test_each_rule_gives_its_reason_tied_to_the_answer_that_drove_it(changes, question,
                                                                     words) -> None:
    rec = assess({**PUBLIC, **changes})
    [reason] = [r for r in rec.rationale if words in r.reason]
    assert reason.question == question


def test_tax_wording_follows_the_path() -> None:
    several = {"entities": "several_countries", "agreements": "none", "regulated": "no"}
    public, inside = assess({**PUBLIC, **several}), assess({**INSIDE, **several})
    assert public.path is Path.OPEN_SOURCE and inside.path is Path.INNERSOURCE
    assert "not charges for earlier use" in note(public, "transfer_pricing")
    assert "covers copyright, not pricing" in note(public, "intercompany_agreement")
    assert "InnerSource licence covers the use of the code" in note(inside,
                                                                    "intercompany_agreement")
    domestic = assess({**INSIDE, **several, "entities": "several_same_country"})
    assert "related-party rules may apply domestically" in note(domestic, "transfer_pricing")
    assert all("not tax advice" in note(r, "transfer_pricing") for r in (public, inside))


def test_version_1_agreements_regulated_still_raises_the_agreement_and_ring_fencing() -> None:
    rec = assess({**INSIDE, "entities": "several_countries", "agreements": "regulated"})
    assert {"intercompany_agreement", "ring_fencing"} <= set(rec.flags)


@pytest.mark.parametrize(("contributors", "capacity", "path"), [
    ("issues", "none", Path.INNERSOURCE_FIRST),
    ("issues", "internal", Path.OPEN_SOURCE),       # single vendor, owners only: internal time
    ("patches", "internal", Path.INNERSOURCE_FIRST),  # outside patches need dedicated time
    ("patches", "dedicated", Path.OPEN_SOURCE),
])
def test_capacity_thresholds_of_a_public_release(contributors, capacity, path) -> None:
    rec = assess({**PUBLIC, "contributors": contributors, "capacity": capacity,
                  "motivation": "adoption", "control": "full"})
    assert rec.path is path


def test_no_target_model_that_nobody_can_maintain() -> None:
    nobody = assess({**PUBLIC, "control": "neutral", "capacity": "none"})
    assert nobody.path is Path.INNERSOURCE_FIRST and nobody.target_governance is None
    some = assess({**PUBLIC, "control": "neutral", "capacity": "internal"})
    assert some.target_governance == "foundation"


def test_re_review_comes_sooner_for_innersource_first() -> None:
    first = assess({**PUBLIC, "ownership": "unsure"})
    closed = assess({**PUBLIC, "audience": "team", "users": "team", "contributors": "owners_only"})
    assert first.review_in_months < assess(INSIDE).review_in_months < closed.review_in_months
    assert f"{first.review_in_months} months" in first.next_steps[-1]


@pytest.mark.parametrize(("health", "extra", "path"), [
    ("active", {}, Path.CONTRIBUTE_UPSTREAM),
    ("slow", {}, Path.CONTRIBUTE_UPSTREAM),
    ("abandoned", {"capacity": "internal"}, Path.OPEN_SOURCE),
    ("abandoned", {"capacity": "none"}, Path.KEEP_CLOSED),
])
def test_the_fork_path_depends_on_the_upstream(health, extra, path) -> None:
    rec = assess({**FORK, "upstream_health": health, **extra})
    assert rec.path is path
    if health == "slow":
        assert any("small and rebased" in step for step in rec.next_steps)
    if path is Path.OPEN_SOURCE:
        assert any("handover" in step for step in rec.next_steps)


def test_personal_data_and_secrets_come_first_before_wider_visibility() -> None:
    rec = assess({**PUBLIC, "obligations": ["personal_data", "secrets"]})
    assert rec.next_steps[0].startswith("Before anyone new can see it, purge")
    assert rec.next_steps[1].startswith("Before anyone new can see it, rotate")
    assert rec.path is Path.OPEN_SOURCE  # neither changes the path


def test_encryption_does_not_block_a_release_but_other_export_control_does() -> None:
    crypto = assess({**PUBLIC, "obligations": ["encryption"]})
    assert crypto.path is Path.OPEN_SOURCE and "742.15(b)" in note(crypto, "export_control")
    controlled = assess({**PUBLIC, "obligations": ["export_control"]})
    assert controlled.path is Path.INNERSOURCE
    assert "no public release until it is cleared" in note(controlled, "export_control")


def test_copyleft_shared_with_partners_is_a_conflict_with_what_to_decide() -> None:
    rec = assess({**PUBLIC, "differentiator": "yes", "contributors": "external",
                  "obligations": ["copyleft"]})
    assert rec.path is Path.PARTNER_SOURCE
    [conflict] = rec.conflicts
    assert "obligations" in conflict.questions and "copyleft" in conflict.decide.lower()


def test_texts_never_go_against_the_answers() -> None:
    restricted = assess({**INSIDE, "audience": "restricted"})
    assert not any("portal" in step.lower() for step in restricted.next_steps)
    assert all("portal" not in link.url for link in restricted.learn_more)
    owners = assess({**PUBLIC, "contributors": "owners_only", "control": "full",
                     "capacity": "internal"})
    assert not any("pull requests" in step for step in owners.next_steps)
    assert not any("trademark" in step for step in owners.next_steps)


def test_a_missing_answer_is_read_cautiously_and_said() -> None:
    version_1 = {"upstream": "fork", "confidential": "none", "ownership": "yes"}
    d = decide(version_1)
    assert d.assumed == {"differentiator": "partly", "upstream_health": "active",
                         "obligations": ["unsure"], "entities": "unknown",
                         "agreements": "unknown", "regulated": "unknown"}
    said = [r for r in d.reasons if "was not asked in this check" in r[2]]
    assert {r[0] for r in said} == set(d.assumed)
    assert "transfer_pricing" in d.flags and d.first_steps[0].startswith("Scan the repository")


def test_what_would_change_lists_choices_and_facts_apart_in_the_users_words() -> None:
    rec = assess({**PUBLIC, "ownership": "unsure", "capacity": "internal"})
    wwc = rec.what_would_change
    kinds = {q.id: q.kind for q in ENGINE.flow.questions}
    assert wwc.choices and wwc.facts
    assert all(kinds[w.changes[0].question] == "choice" for w in wwc.choices)
    assert all(kinds[w.changes[0].question] == "fact" for w in wwc.facts)
    assert "Rights to all of it: Yes, all of it" in [c.text for w in wwc.all for c in w.changes]
    assert all("_" not in c.text for w in wwc.all for c in w.changes)  # labels, not ids
    [route] = wwc.routes
    assert route.path is Path.OPEN_SOURCE and len(route.changes) == 2


def test_a_route_that_opens_an_unasked_question_says_what_it_assumed() -> None:
    closed = assess({**PUBLIC, "audience": "team", "users": "team",
                     "contributors": "owners_only", "capacity": "none"})
    assert closed.path is Path.KEEP_CLOSED
    for entry in closed.what_would_change.all:
        answers = {**PUBLIC, "audience": "team", "users": "team",
                   "contributors": "owners_only", "capacity": "none",
                   **{c.question: c.answer for c in entry.changes},
                   **{c.question: c.answer for c in entry.assumed}}
        again = assess(answers)
        assert (again.path, again.governance) == (entry.path, entry.governance)
