"""One turn at a time: answers, commands, re-prompts, stale buttons and progress."""

from __future__ import annotations

import pytest

from bot.core.conversation import Conversation, Inbound
from bot.core.replies import AskQuestion, Closed, Notice, Result
from tests.conftest import LATER, NOW, typed


@pytest.fixture
def fresh(engine) -> Conversation:
    return engine.start("c1", NOW).conversation


def test_start_asks_the_first_question_with_progress(engine) -> None:
    step = engine.start("c1", NOW)
    reply = step.replies[0]
    assert isinstance(reply, AskQuestion)
    assert reply.question.id == "upstream"
    assert str(reply.progress) == "Question 1 of up to 16"
    assert not reply.can_go_back
    assert step.conversation.ref == "c1.0"


@pytest.mark.parametrize("text", ["3", "no", "No, it is our own code", "  NO! ", "our own"])
def test_an_answer_by_number_id_label_or_synonym_moves_on(engine, fresh, text) -> None:
    step = typed(engine, fresh, text)
    assert step.conversation.answers == {"upstream": "no"}
    assert step.conversation.state == "confidential"
    assert step.conversation.version == 1
    closed, ask = step.replies
    assert isinstance(closed, Closed) and closed.ref == "c1.0" and closed.note.startswith("No")
    assert isinstance(ask, AskQuestion) and ask.progress.index == 2


@pytest.mark.parametrize("text", ["maybe later", "7", "0", ""])
def test_text_it_cannot_understand_reprompts_with_the_choices_and_changes_nothing(
        engine, fresh, text) -> None:
    step = typed(engine, fresh, text)
    assert step.conversation == fresh and not step.changed
    (notice,) = step.replies
    assert isinstance(notice, Notice) and notice.level == "error"
    assert "1. Yes, it changes or forks one" in notice.text


def test_a_button_with_an_option_of_another_question_changes_nothing(engine, fresh) -> None:
    step = engine.advance(fresh, Inbound.click("answer", fresh.ref, "public"), LATER)
    assert not step.changed and step.replies[0].level == "error"


def test_back_returns_to_the_previous_question_keeping_the_answer_as_default(
        engine, fresh) -> None:
    step = typed(engine, fresh, "no", "back")
    assert step.conversation.state == "upstream" and step.conversation.asked == []
    ask = step.replies[-1]
    assert isinstance(ask, AskQuestion) and ask.previous == "no"


def test_back_on_the_first_question_says_so_and_changes_nothing(engine, fresh) -> None:
    step = typed(engine, fresh, "back")
    assert not step.changed and "first question" in step.replies[0].text


def test_restart_clears_answers_and_old_buttons_go_stale(engine, fresh) -> None:
    answered = typed(engine, fresh, "no", "none").conversation
    restarted = typed(engine, answered, "restart").conversation
    assert restarted.state == "upstream" and restarted.answers == {}
    stale = engine.advance(restarted, Inbound.click("answer", answered.ref, "core"), LATER)
    assert not stale.changed and stale.replies[0].level == "stale"


def test_cancel_ends_the_check_and_later_answers_are_refused_politely(engine, fresh) -> None:
    cancelled = typed(engine, fresh, "cancel").conversation
    assert not cancelled.active
    step = typed(engine, cancelled, "1")
    assert not step.changed and "cancelled" in step.replies[0].text


def test_help_explains_why_we_ask_and_changes_nothing(engine, fresh) -> None:
    step = typed(engine, fresh, "help")
    assert not step.changed
    assert step.replies[0].text.startswith("Why we ask: Changes merged upstream")


def test_a_second_click_on_an_answered_question_changes_nothing(engine, fresh) -> None:
    first = engine.advance(fresh, Inbound.click("answer", fresh.ref, "no"), LATER)
    second = engine.advance(first.conversation, Inbound.click("answer", fresh.ref, "fork"), LATER)
    assert not second.changed and second.conversation == first.conversation
    assert second.replies[0].level == "stale"


def test_the_fork_path_asks_only_what_domain_md_lists_and_recommends_upstream(
        engine, fresh) -> None:
    step = typed(engine, fresh, "fork", "active", "none", "no", "none", "yes", "one")
    assert step.conversation.asked == ["upstream", "upstream_health", "confidential",
                                       "differentiator", "obligations", "ownership", "entities"]
    result = step.replies[-1]
    assert isinstance(result, Result) and result.recommendation.path == "contribute_upstream"


def test_an_abandoned_upstream_adds_the_capacity_question_to_the_fork_path(engine, fresh) -> None:
    step = typed(engine, fresh, "fork", "abandoned", "none", "no", "dedicated", "none", "yes",
                 "several countries", "in place", "no")
    assert step.conversation.asked == ["upstream", "upstream_health", "confidential",
                                       "differentiator", "capacity", "obligations", "ownership",
                                       "entities", "agreements", "regulated"]
    assert step.conversation.finished


def test_progress_never_grows_while_answering(engine, fresh) -> None:
    conversation, totals = fresh, [engine.ask(fresh).progress.total]
    for text in ("no", "none", "partly", "company", "no", "few teams", "issues", "full",
                 "internal", "none", "yes"):
        step = engine.advance(conversation, Inbound.typed(text), LATER)
        conversation = step.conversation
        totals.append(step.replies[-1].progress.total)
    assert totals == sorted(totals, reverse=True)
    assert totals[0] == 16 and totals[-1] < 16


def test_the_engine_never_mutates_its_input(engine, fresh) -> None:
    before = fresh.model_dump()
    typed(engine, fresh, "no")
    assert fresh.model_dump() == before


def test_a_conversation_round_trips_through_compact_json(engine, fresh) -> None:
    conversation = typed(engine, fresh, "no", "none").conversation
    assert Conversation.from_json(conversation.to_json()) == conversation
    assert len(conversation.to_json()) < 300
