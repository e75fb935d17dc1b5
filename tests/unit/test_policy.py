"""The company policy: the file's model and its errors, and apply_policy after the core."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.outcomes import Flag, Link
from bot.core.outcomes import Path as CodePath
from bot.policy import (
    EXAMPLE,
    Policy,
    PolicyError,
    apply_policy,
    load_policy,
    needs_review,
    parse_policy,
    policy_reference,
)

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = {"upstream": "no", "confidential": "none", "differentiator": "no", "audience": "public",
          "internal_only": "no", "users": "external", "contributors": "external",
          "control": "final_say", "capacity": "dedicated", "obligations": ["none"],
          "entities": "one", "ownership": "yes", "motivation": "adoption"}
FORK = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
           "differentiator": "no", "obligations": ["none"], "ownership": "yes", "entities": "one"}


def policy(**sections: object) -> Policy:
    return parse_policy(sections, "policy.yaml")


def test_the_example_written_by_policy_init_is_a_valid_policy():
    example = parse_policy(yaml.safe_load(EXAMPLE), "example")
    assert example.licensing.outbound == "Apache-2.0"
    assert example.re_review_months[CodePath.OPEN_SOURCE] == 12


def test_an_empty_file_is_the_default_policy(tmp_path: Path):
    empty = tmp_path / "policy.yaml"
    empty.write_text("")
    loaded = load_policy(empty)
    assert loaded.review.paths == [CodePath.OPEN_SOURCE, CodePath.INNERSOURCE_FIRST,
                                   CodePath.PARTNER_SOURCE]
    assert loaded.review.flags == [Flag.LEGAL_REVIEW, Flag.EXPORT_CONTROL, Flag.PERSONAL_DATA,
                                   Flag.PATENT_REVIEW]


@pytest.mark.parametrize(("text", "problem"), [
    ("slak: {}", "slak: unknown key"),
    ("review: {paths: [public]}", "review.paths.0: Input should be 'keep_closed'"),
    ("review: {chase_after_days: 0}", "review.chase_after_days: Input should be greater than"),
    ("links: {flags: {tax: []}}", "links.flags.tax.[key]"),
    ("licensing: {contributions: maybe}", "licensing.contributions: Input should be 'dco'"),
    ("re_review_months: {open_source: 0}", "re_review_months.open_source"),
    ("- just a list", "must be a mapping of sections"),
    ("company: [unclosed", "not valid YAML"),
])
def test_a_bad_file_is_refused_naming_the_file_the_key_and_the_problem(tmp_path: Path, text,
                                                                       problem):
    bad = tmp_path / "ospo.yaml"
    bad.write_text(text)
    with pytest.raises(PolicyError) as raised:
        load_policy(bad)
    assert str(raised.value).startswith(str(bad)) and problem in str(raised.value)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path):
    with pytest.raises(PolicyError, match=r"missing\.yaml: cannot read"):
        load_policy(tmp_path / "missing.yaml")


def test_without_a_policy_the_recommendation_is_unchanged(engine):
    _, rec = engine.assess(PUBLIC)
    assert apply_policy(rec, None) is rec
    assert not needs_review(rec, None)


def test_internal_links_come_before_the_public_ones_for_path_and_flags(engine):
    _, rec = engine.assess(PUBLIC)
    wiki = Link(title="Release process", url="https://wiki.example.com/release")
    applied = apply_policy(rec, policy(links={"paths": {rec.path.value: [wiki.model_dump()]}}))
    assert applied.learn_more == [wiki, *rec.learn_more]


def test_a_flag_gets_its_internal_link_first_in_its_note_too(engine):
    answers = {**PUBLIC, "ownership": "unsure"}
    _, rec = engine.assess(answers)
    assert Flag.LEGAL_REVIEW in rec.flags
    intake = {"title": "Legal intake", "url": "https://legal.example.com"}
    applied = apply_policy(rec, policy(links={"flags": {"legal_review": [intake]}}))
    note = next(n for n in applied.flag_notes if n.flag is Flag.LEGAL_REVIEW)
    assert note.links[0] == Link(**intake)
    assert applied.learn_more[0] == Link(**intake)


def test_extra_steps_licences_and_re_review_months_follow_the_policy(engine):
    _, rec = engine.assess(PUBLIC)
    assert rec.path is CodePath.OPEN_SOURCE
    applied = apply_policy(rec, policy(
        licensing={"outbound": "Apache-2.0", "contributions": "dco"},
        next_steps={"paths": {"open_source": ["Register it in the catalogue."]}},
        re_review_months={"open_source": 3}))
    assert applied.next_steps[:len(rec.next_steps)] == rec.next_steps
    added = applied.next_steps[len(rec.next_steps):]
    assert added[0].startswith("Company policy: publish under Apache-2.0 by default")
    assert "Developer Certificate of Origin" in added[1]
    assert added[2] == "Register it in the catalogue."
    assert applied.review_in_months == 3
    assert (applied.path, applied.governance, applied.flags) == (rec.path, rec.governance,
                                                                 rec.flags)


def test_the_innersource_licence_is_named_only_where_code_is_shared_inside(engine):
    terms = policy(licensing={"innersource": "Example InnerSource License"})
    _, upstream = engine.assess(FORK)
    assert apply_policy(upstream, terms).next_steps == upstream.next_steps
    inside = {**PUBLIC, "audience": "company", "users": "many_teams", "contributors": "patches",
              "motivation": "none"}
    _, rec = engine.assess(inside)
    assert rec.path is CodePath.INNERSOURCE
    assert any("Example InnerSource License" in s for s in apply_policy(rec, terms).next_steps)


def test_review_is_needed_for_the_listed_paths_and_flags_only(engine):
    _, public = engine.assess(PUBLIC)
    _, upstream = engine.assess(FORK)
    default = Policy()
    assert needs_review(public, default) and not needs_review(upstream, default)
    assert not needs_review(public, policy(review={"paths": [], "flags": []}))
    assert needs_review(upstream, policy(review={"paths": ["contribute_upstream"]}))


def test_reviewers_are_known_by_slack_id_group_membership_or_entra_object_id():
    reviewers = policy(slack={"reviewers": ["U1"], "reviewer_group": "S1"},
                       teams={"reviewers": ["aad-1"]})
    assert reviewers.is_slack_reviewer("U1")
    assert reviewers.is_slack_reviewer("U2", frozenset({"U2"}))
    assert not reviewers.is_slack_reviewer("U3", frozenset({"U2"}))
    assert reviewers.is_teams_reviewer("aad-1") and not reviewers.is_teams_reviewer(None)


def test_the_readme_policy_reference_is_current():
    readme = (ROOT / "README.md").read_text()
    assert f"<!-- policy:start -->\n{policy_reference()}\n<!-- policy:end -->" in readme


def test_one_company_policy_file_serves_the_server_and_the_scan(tmp_path: Path):
    from bot.scan.policy import PolicyError as ScanPolicyError  # noqa: PLC0415
    from bot.scan.policy import load_policy as load_scan_policy  # noqa: PLC0415

    example = tmp_path / "policy.yaml"
    example.write_text(EXAMPLE)
    scan = load_scan_policy(example)
    assert scan.role_of("example.com") == ("entity", "Example Inc")
    assert "*.example.net" in scan.host_patterns
    assert load_policy(example).slack.channel == "C0123456789"
    example.write_text("authorship: {entitys: {}}\n")
    with pytest.raises(ScanPolicyError, match=r"authorship\.entitys: unknown key"):
        load_scan_policy(example)
