"""Suggestions merged under the user's answers, and which findings block which path."""

from __future__ import annotations

import pytest

from bot.core.outcomes import Evidence, Governance, Path, Recommendation
from bot.scan.evidence import Default, defaults, merge, suggested, with_evidence
from bot.scan.gate import blocking, findings_of
from bot.scan.model import LicenceFinding, Location, ScanReport, SecretFinding

KNOWN = {"obligations": ["encryption", "personal_data", "copyleft", "secrets", "contract",
                         "none", "unsure"],
         "ownership": ["yes", "unsure", "no"], "entities": ["one", "unknown"]}
COPYLEFT = Evidence(question="obligations", answer=["copyleft"], confidence=0.9,
                    detail="found GPL-3.0-only in vendor/parser/LICENSE")
SECRETS = Evidence(question="obligations", answer=["secrets"], confidence=0.9,
                   detail="AWS Access Key in deploy.env")
UNSURE = Evidence(question="ownership", answer="unsure", confidence=0.7, detail="contractor")


def test_obligations_found_are_gathered_into_one_list() -> None:
    assert suggested([COPYLEFT, SECRETS, UNSURE], KNOWN) == {
        "obligations": ["copyleft", "secrets"], "ownership": "unsure"}


def test_evidence_for_a_question_the_flow_does_not_know_is_left_out() -> None:
    assert suggested([COPYLEFT, UNSURE], {"ownership": KNOWN["ownership"]}) == {
        "ownership": "unsure"}


def test_evidence_fills_only_what_the_user_left_unanswered() -> None:
    merged, used = merge({"ownership": "yes"}, [UNSURE, SECRETS], KNOWN)
    assert merged == {"ownership": "yes", "obligations": ["secrets"]}
    assert used == [SECRETS]


def test_evidence_adds_obligations_to_the_users_own_list() -> None:
    merged, used = merge({"obligations": ["contract"]}, [COPYLEFT], KNOWN)
    assert merged == {"obligations": ["contract", "copyleft"]}
    assert used == [COPYLEFT]


@pytest.mark.parametrize("word", ["none", "unsure"])
def test_none_or_unsure_from_the_user_stays_and_the_evidence_is_not_used(word: str) -> None:
    merged, used = merge({"obligations": [word]}, [COPYLEFT], KNOWN)
    assert merged == {"obligations": [word]} and used == []


def test_the_recommendation_lists_only_evidence_for_questions_it_asked() -> None:
    rec = recommendation(Path.INNERSOURCE)
    listed = with_evidence(rec, [SECRETS, UNSURE], asked=["ownership"]).evidence
    assert listed == [UNSURE]


def recommendation(path: Path) -> Recommendation:
    return Recommendation(path=path, governance=Governance.READABLE_SOURCE, flags=[],
                          flag_notes=[], rationale=[], next_steps=[], learn_more=[],
                          review_in_months=6)


def report(copyleft: str | None = "strong", secret: bool = True) -> ScanReport:
    where = [Location(path="vendor/x/LICENSE")]
    licences = [LicenceFinding(expression="GPL-3.0-only", source="file", copyleft=copyleft,
                               third_party=True, locations=where)] if copyleft else []
    secrets = [SecretFinding(kind="AWS Access Key", in_working_tree=False, in_history=True,
                             removed=True, count=1,
                             locations=[Location(path="a.env", commit="0" * 40)])] if secret else []
    return ScanReport(root=".", head=None, licences=licences, secrets=secrets)


def test_secrets_block_every_path_that_widens_visibility() -> None:
    assert blocking(report(copyleft=None), recommendation(Path.INNERSOURCE)) == [
        ("secret: AWS Access Key in 1 places, still in the git history: rotate it and clean or "
        "restart the history")]
    assert blocking(report(copyleft=None), recommendation(Path.KEEP_CLOSED)) == []


def test_strong_copyleft_blocks_partner_source_only() -> None:
    clean = report(secret=False)
    assert blocking(clean, recommendation(Path.OPEN_SOURCE)) == []
    assert blocking(clean, recommendation(Path.INNERSOURCE)) == []
    (line,) = blocking(clean, recommendation(Path.PARTNER_SOURCE))
    assert "GPL-3.0-only" in line and "partner_source" in line


def test_weak_copyleft_does_not_block_partner_source() -> None:
    assert blocking(report(copyleft="weak", secret=False),
                    recommendation(Path.PARTNER_SOURCE)) == []


def test_fail_on_names_only_the_kinds_asked_for() -> None:
    found = report()
    assert findings_of(found, ["copyleft"]) == [
        "strong copyleft GPL-3.0-only in vendor/x/LICENSE"]
    assert findings_of(found, ["personal_data", "encryption"]) == []


def test_chat_defaults_carry_the_answer_and_every_finding_behind_it() -> None:
    assert defaults([COPYLEFT, SECRETS, UNSURE], KNOWN) == {
        "obligations": Default(["copyleft", "secrets"], 0.9, (COPYLEFT.detail, SECRETS.detail)),
        "ownership": Default("unsure", 0.7, ("contractor",)),
    }


def test_a_report_of_version_1_still_reads() -> None:
    old = ('{"schema_version": 1, "root": "/x", "head": null, "licences": [{"expression": "MIT",'
           ' "source": "file", "locations": [{"path": "LICENSE"}]}]}')
    report = ScanReport.model_validate_json(old)
    assert (report.schema_version, report.allowed_secrets) == (1, 0)
    assert ScanReport(root="/y", head=None).schema_version == 2
