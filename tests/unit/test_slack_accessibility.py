"""Accessibility of the Slack surfaces: a button whose text alone is ambiguous has an accessible
name that says what it does (answers name their question), and every message keeps a text
fallback. Covers the DM messages and the shortcut's modal views."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.views import View

from bot.core.flow import Question
from bot.core.replies import AskQuestion, Progress
from bot.platforms.slack import blocks
from bot.platforms.slack.modal import CHOICES, question_blocks
from bot.report import build

PLAIN = {"Start a check", "Remind me on the day", "Continue"}  # clear on their own


def buttons(rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in rendered for e in b.get("elements", []) if e.get("type") == "button"]


def asked(question: Question, *, can_go_back: bool = True) -> AskQuestion:
    return AskQuestion(question=question, progress=Progress(2, 9), ref="c1.2",
                       can_go_back=can_go_back)


def test_every_dm_question_button_has_an_accessible_name(engine) -> None:
    for question in engine.flow.questions:
        message = blocks.question(asked(question))
        assert message.text.strip()
        for button in buttons(message.blocks):
            assert button.get("accessibility_label"), button["text"]["text"]
            assert len(button["accessibility_label"]) <= blocks.LABEL_LIMIT
        labels = {b["action_id"]: b["accessibility_label"] for b in buttons(message.blocks)}
        assert labels["back"] == "Back to the previous question"
        first = question.options[0]
        if question.multiple:  # checkboxes, and Continue names the question
            assert labels["continue"].startswith("Continue with the ticked answers to: ")
        else:
            assert labels[f"answer:{first.id}"].startswith(f"{first.label}, answer to: ")


def test_every_modal_question_view_validates_and_names_its_buttons(engine) -> None:
    for question in engine.flow.questions:
        rendered = [b.to_dict() for b in question_blocks(asked(question))]
        View(type="modal", title="opensource-check", blocks=rendered).validate_json()
        for button in buttons(rendered):
            assert button.get("accessibility_label"), button["text"]["text"]


def test_a_question_with_several_answers_shows_checkboxes_and_continue(engine) -> None:
    single = engine.flow.questions[0]
    several = single.model_copy(update={"multiple": True})
    reply = AskQuestion(question=several, progress=Progress(2, 9), ref="c1.2",
                        previous=(single.options[1].id,), can_go_back=True)
    rendered = [b.to_dict() for b in question_blocks(reply)]
    [boxes] = [e for b in rendered for e in b.get("elements", []) if e["type"] == "checkboxes"]
    assert boxes["action_id"] == CHOICES
    assert [o["value"] for o in boxes["options"]] == [o.id for o in single.options]
    assert [o["value"] for o in boxes["initial_options"]] == [single.options[1].id]
    assert [b["action_id"] for b in buttons(rendered)] == [
        "modal_continue", "modal_back", "modal_cancel"]


def test_result_buttons_say_what_they_do(engine) -> None:
    _, rec = engine.assess({"upstream": "fork", "upstream_health": "active",
                            "confidential": "none", "differentiator": "no",
                            "obligations": ["none"], "ownership": "yes", "entities": "one"})
    message = blocks.result(rec, build(rec, engine.flow), runner="U1", answers={},
                            summary_channel=None, review_months=6)
    assert message.text.strip()
    for button in buttons(message.blocks):
        text = button["text"]["text"]
        assert button.get("accessibility_label") or text.startswith("Remind me in") \
            or text in PLAIN, text
