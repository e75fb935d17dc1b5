"""Questions with several answers (`obligations`), answers files and conversations of version 1."""

from __future__ import annotations

import pytest

from bot.core.answers import InvalidAnswerError, read_answers
from bot.core.conversation import Conversation, Inbound
from bot.core.replies import AskQuestion, Closed, Notice
from tests.conftest import LATER, NOW, typed

TO_OBLIGATIONS = ("no", "none", "no", "company", "no", "many teams", "patches", "final say",
                  "internal")


@pytest.fixture
def at_obligations(engine) -> Conversation:
    step = typed(engine, engine.start("c1", NOW).conversation, *TO_OBLIGATIONS)
    assert step.conversation.state == "obligations"
    return step.conversation


@pytest.mark.parametrize(("text", "expected"), [
    ("1, 3", ["encryption", "personal_data"]),
    ("1 3", ["encryption", "personal_data"]),
    ("3; 1", ["encryption", "personal_data"]),
    ("gpl, personal data", ["personal_data", "copyleft"]),
    ("Credentials were committed at some point", ["secrets"]),
    ("none", ["none"]),
    ("not sure", ["unsure"]),
])
def test_several_answers_can_be_typed_as_numbers_or_labels(engine, at_obligations, text,
                                                            expected) -> None:
    step = typed(engine, at_obligations, text)
    assert step.conversation.answers["obligations"] == expected
    assert step.conversation.state == "ownership"


@pytest.mark.parametrize("text", ["none, 1", "unsure, none", "2 9"])
def test_none_or_unsure_with_another_option_is_refused_and_changes_nothing(
        engine, at_obligations, text) -> None:
    step = typed(engine, at_obligations, text)
    assert not step.changed and step.conversation == at_obligations
    notice = step.replies[0]
    assert isinstance(notice, Notice) and notice.level == "error"
    assert "cannot be chosen together" in notice.text and "1. It implements" in notice.text


def test_typed_text_with_a_part_it_cannot_read_reprompts(engine, at_obligations) -> None:
    step = typed(engine, at_obligations, "1, banana")
    assert not step.changed
    assert "did not understand" in step.replies[0].text


def test_ticked_boxes_submitted_together_answer_the_question(engine, at_obligations) -> None:
    step = engine.advance(at_obligations,
                          Inbound.submit(at_obligations.ref, ("secrets", "encryption")), LATER)
    assert step.conversation.answers["obligations"] == ["encryption", "secrets"]
    closed = step.replies[0]
    assert isinstance(closed, Closed) and closed.answered
    assert closed.note == ("It implements or ships cryptography, Credentials were committed at "
                           "some point")


def test_submitting_nothing_ticked_means_none_apply(engine, at_obligations) -> None:
    step = engine.advance(at_obligations, Inbound.submit(at_obligations.ref, ()), LATER)
    assert step.conversation.answers["obligations"] == ["none"]


def test_a_submit_with_an_unknown_option_changes_nothing(engine, at_obligations) -> None:
    step = engine.advance(at_obligations, Inbound.submit(at_obligations.ref, ("lasers",)), LATER)
    assert not step.changed and step.replies[0].level == "error"


def test_back_offers_the_earlier_selection_as_the_default(engine, at_obligations) -> None:
    step = typed(engine, at_obligations, "1, 5", "back")
    ask = step.replies[-1]
    assert isinstance(ask, AskQuestion) and ask.question.id == "obligations"
    assert ask.previous == ["encryption", "copyleft"]


def test_notes_that_are_not_answers_are_not_marked_as_answers(engine, at_obligations) -> None:
    closed = typed(engine, at_obligations, "back").replies[0]
    assert isinstance(closed, Closed) and not closed.answered


def test_an_answers_file_takes_a_list_a_single_string_or_an_empty_list(engine) -> None:
    flow = engine.flow
    assert read_answers(flow, {"obligations": "copyleft"})["obligations"] == ["copyleft"]
    assert read_answers(flow, {"obligations": []})["obligations"] == ["none"]
    assert read_answers(flow, {"obligations": ["secrets", "encryption", "secrets"]})[
        "obligations"] == ["encryption", "secrets"]


@pytest.mark.parametrize(("raw", "message"), [
    ({"obligations": ["none", "secrets"]}, "cannot be chosen together"),
    ({"obligations": ["lasers"]}, "unknown option 'lasers'"),
    ({"obligations": 3}, "takes a list of option ids"),
    ({"audience": ["public"]}, "takes one option id"),
    ({"colour": "blue"}, "unknown question 'colour'"),
])
def test_an_answers_file_with_a_wrong_answer_is_refused_with_the_reason(engine, raw,
                                                                        message) -> None:
    with pytest.raises(InvalidAnswerError, match=message):
        read_answers(engine.flow, raw)


def test_version_1_regulated_agreement_reads_as_unknown_agreement_and_a_regulated_entity(
        engine) -> None:
    answers = read_answers(engine.flow, {"agreements": "regulated"})
    assert answers == {"agreements": "unknown", "regulated": "yes"}


def test_a_version_1_conversation_resumes_and_is_asked_the_new_questions(engine) -> None:
    saved = Conversation(id="old", flow="opensource_check", flow_version=1, state="entities",
                         answers={"upstream": "no", "confidential": "none",
                                  "differentiator": "no", "audience": "company",
                                  "internal_only": "no", "users": "few_teams",
                                  "contributors": "issues", "control": "full",
                                  "capacity": "internal"},
                         asked=["upstream", "confidential", "differentiator", "audience",
                                "internal_only", "users", "contributors", "control", "capacity"],
                         version=9, started_at=NOW, updated_at=NOW)
    saved = Conversation.from_json(saved.to_json())  # as the store gives it back
    step = engine.advance(saved, Inbound.click("answer", saved.ref, "several_countries"), LATER)
    moved = step.conversation
    assert moved.flow_version == 2 and moved.state == "obligations"
    assert moved.asked == saved.asked and moved.version == saved.version + 1
    notice, ask = step.replies
    assert isinstance(notice, Notice) and "questions have changed" in notice.text
    assert isinstance(ask, AskQuestion) and ask.question.id == "obligations"
    stale = engine.advance(moved, Inbound.click("answer", saved.ref, "one"), LATER)
    assert not stale.changed  # the old message's buttons no longer apply
    step = typed(engine, moved, "none", "yes", "several countries", "in place", "no", "none")
    assert step.conversation.finished
    assert step.conversation.asked[-6:] == ["obligations", "ownership", "entities", "agreements",
                                            "regulated", "motivation"]


def test_a_version_1_conversation_at_a_question_that_stays_in_place_keeps_its_buttons(
        engine) -> None:
    saved = Conversation(id="old", flow="opensource_check", flow_version=1, state="audience",
                         answers={"upstream": "no", "confidential": "none",
                                  "differentiator": "no"},
                         asked=["upstream", "confidential", "differentiator"],
                         version=3, started_at=NOW, updated_at=NOW)
    step = engine.advance(saved, Inbound.click("answer", saved.ref, "company"), LATER)
    assert step.conversation.state == "internal_only" and step.conversation.flow_version == 2


def test_a_version_1_conversation_with_a_regulated_agreement_keeps_the_regulated_entity(
        engine) -> None:
    saved = Conversation(id="old", flow="opensource_check", flow_version=1, state="ownership",
                         answers={"upstream": "no", "confidential": "none",
                                  "differentiator": "no", "audience": "public",
                                  "internal_only": "no", "users": "few_teams",
                                  "contributors": "issues", "control": "full",
                                  "capacity": "internal", "entities": "several_countries",
                                  "agreements": "regulated"},
                         asked=["upstream", "confidential", "differentiator", "audience",
                                "internal_only", "users", "contributors", "control", "capacity",
                                "entities", "agreements"],
                         version=11, started_at=NOW, updated_at=NOW)
    conversation = engine.upgrade(saved)
    assert conversation.answers["agreements"] == "unknown"
    assert conversation.answers["regulated"] == "yes"
    assert conversation.state == "obligations"
    step = typed(engine, conversation, "none", "yes", "several countries")
    assert step.replies[-1].previous == "unknown"  # agreements: the default from version 1
    step = typed(engine, step.conversation, "unknown")
    assert step.replies[-1].question.id == "regulated" and step.replies[-1].previous == "yes"


def test_a_finished_version_1_check_reads_with_the_split_answers(engine) -> None:
    saved = Conversation(id="old", flow="opensource_check", flow_version=1, state="done",
                         answers={"upstream": "fork", "confidential": "none",
                                  "ownership": "yes"},
                         asked=["upstream", "confidential", "ownership"],
                         version=4, started_at=NOW, updated_at=NOW)
    result = engine.result(saved)
    assert result.answers == {"upstream": "fork", "confidential": "none", "ownership": "yes"}
    assert result.recommendation.path == "contribute_upstream"
