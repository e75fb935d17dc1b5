"""Block Kit rendering: every message is built with slack_sdk's models (which enforce Block Kit's
limits on construction), stays within a message's 50 blocks, and has meaningful plain text."""

from __future__ import annotations

import random
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.core.engine import Engine
from bot.core.outcomes import Conflict, FlagNote, Link, Recommendation
from bot.core.replies import AskQuestion, Closed, Notice, Progress
from bot.platforms.slack import blocks
from bot.report import build


def within_limits(message: blocks.Message) -> None:
    assert message.text.strip()
    assert 0 < len(message.blocks) <= 50
    for block in message.blocks:
        parsed = Block.parse(block)
        assert parsed is not None and parsed.to_dict() == block  # validates every limit again


def answer_sets(engine: Engine, count: int) -> list[dict[str, Any]]:
    sets = []
    for seed in range(count):
        chooser = random.Random(seed)  # noqa: S311  (test data, not secrets)
        answers: dict[str, Any] = {}
        for question in engine.flow.questions:
            if question.multiple:
                plain = [o.id for o in question.options if not o.exclusive]
                answers[question.id] = chooser.sample(plain, chooser.randint(1, 3))
            else:
                answers[question.id] = chooser.choice(engine.options[question.id])
        sets.append(answers)
    return sets


def test_every_question_renders_with_a_button_per_option_and_progress(engine) -> None:
    for question in (q for q in engine.flow.questions if not q.multiple):
        reply = AskQuestion(question=question, progress=Progress(3, 10), ref="abc.3",
                            previous=question.options[0].id, can_go_back=True)
        message = blocks.question(reply)
        within_limits(message)
        answers = next(b for b in message.blocks if b.get("block_id") == f"answers:{question.id}")
        assert [e["value"] for e in answers["elements"]] == [
            f"abc.3|{o.id}" for o in question.options]
        assert message.text.startswith("Question 3 of up to 10")
        progress = message.blocks[-1]["elements"][0]["text"]
        assert question.block.value.title() in progress  # "Participation", not "participation"


def test_a_question_with_several_answers_has_checkboxes_and_continue(engine) -> None:
    question = engine.flow.by_id["obligations"]
    reply = AskQuestion(question=question, progress=Progress(9, 12), ref="abc.9",
                        previous=["encryption", "patents"], can_go_back=True)
    message = blocks.question(reply)
    within_limits(message)
    [ticks] = [e for b in message.blocks for e in b.get("elements", [])
               if e.get("type") == "checkboxes"]
    assert [o["value"] for o in ticks["options"]] == [o.id for o in question.options]
    assert ticks["options"][0]["description"]["text"] == question.options[0].description
    assert [o["value"] for o in ticks["initial_options"]] == ["encryption", "patents"]
    [go] = [e for b in message.blocks for e in b.get("elements", [])
            if e.get("action_id") == blocks.CONTINUE]
    assert go["value"] == "abc.9" and go["text"]["text"] == "Continue"


def test_a_question_shape_rendered_once_still_carries_each_turns_own_ref(engine) -> None:
    question = engine.flow.questions[0]
    shown = []
    for ref in ("first.1", "x" * 64 + ".12345", "first.1"):  # the longest id a ref can have
        reply = AskQuestion(question=question, progress=Progress(1, 10), ref=ref)
        message = blocks.question(reply)
        within_limits(message)
        values = [e["value"] for b in message.blocks for e in b.get("elements", [])
                  if "value" in e]
        assert values and all(v == ref or v.startswith(f"{ref}|") for v in values)
        shown.append(message)
    assert shown[0] == shown[2] and shown[0].blocks is not shown[2].blocks  # copies, not shared
    earlier = blocks.question(AskQuestion(question=question, progress=Progress(1, 10),
                                          ref="first.1", previous=question.options[1].id))
    assert earlier != shown[0]  # the earlier answer is part of the shape: its button stands out


def test_the_check_mark_is_only_for_answers() -> None:
    answered = blocks.closed(Closed(ref="a.1", prompt="Q?", note="Yes", answered=True))
    moved = blocks.closed(Closed(ref="a.1", prompt="Q?", note="Asked again below"))
    assert "\u2714" in str(answered.blocks) and "\u2714" not in str(moved.blocks)


def busy_recommendation(rec: Recommendation) -> Recommendation:
    """`rec` with every section as full as it gets: many flags, links, conflicts, steps."""
    link = Link(title="A source " + "x" * 60, url="https://example.org/" + "p" * 80)
    notes = [FlagNote(flag=f, action="Do the one thing. " * 12, links=[link, link])
             for f in rec.flags or []] + [
        FlagNote(flag=n.flag, action="Act. " * 40, links=[link]) for n in rec.flag_notes]
    return rec.model_copy(update={
        "flag_notes": notes * 3,
        "conflicts": [Conflict(questions=["audience", "users"], summary="Pulls apart. " * 20,
                               decide="Decide this. " * 20)] * 6,
        "next_steps": ["A step that takes some words to explain. " * 6] * 12,
        "learn_more": [link] * 12})


@pytest.mark.parametrize("answers", answer_sets(Engine.default(), 60))
def test_every_result_and_summary_fits_block_kit(engine, answers: dict[str, Any]) -> None:
    _, rec = engine.assess({q: answers[q] for q in engine.walk(answers)})
    for shown in (rec, busy_recommendation(rec)):
        report = build(shown, engine.flow)
        result = blocks.result(shown, report, runner="U1", answers=answers,
                               summary_channel="C1", review_months=shown.review_in_months)
        within_limits(result)
        within_limits(blocks.summary(report, "U1"))
        assert result.text == f"Recommendation: {shown.headline}"
        assert len(blocks.post_value("U1", "C1", answers)) <= 2000  # a button value's limit


def test_closed_notices_and_home_fit_block_kit() -> None:
    within_limits(blocks.closed(Closed(ref="a.1", prompt="Is it <secret> & big?", note="Yes")))
    within_limits(blocks.notice(Notice(text="x" * 5000, level="error")))
    home = blocks.home([], "intro")
    assert home["type"] == "home" and len(home["blocks"]) <= 100


def test_text_from_the_flow_cannot_become_a_mention_or_a_link() -> None:
    message = blocks.closed(Closed(ref="a.1", prompt="<!channel> & <http://x|y>", note="n"))
    assert "&lt;!channel&gt; &amp; &lt;http://x|y&gt;" in str(message.blocks)
