"""Block Kit rendering: every message is built with slack_sdk's models (which enforce Block Kit's
limits on construction), stays within a message's 50 blocks, and has meaningful plain text."""

from __future__ import annotations

import random
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.core.engine import Engine
from bot.core.replies import AskQuestion, Closed, Notice, Progress
from bot.platforms import slack_blocks as blocks


def within_limits(message: blocks.Message) -> None:
    assert message.text.strip()
    assert 0 < len(message.blocks) <= 50
    for block in message.blocks:
        parsed = Block.parse(block)
        assert parsed is not None and parsed.to_dict() == block  # validates every limit again


def answer_sets(engine: Engine, count: int) -> list[dict[str, str]]:
    sets = []
    for seed in range(count):
        chooser = random.Random(seed)  # noqa: S311  (test data, not secrets)
        sets.append({q: chooser.choice(opts) for q, opts in engine.options.items()})
    return sets


def test_every_question_renders_with_a_button_per_option_and_progress(engine) -> None:
    for question in engine.flow.questions:
        reply = AskQuestion(question=question, progress=Progress(3, 10), ref="abc.3",
                            previous=question.options[0].id, can_go_back=True)
        message = blocks.question(reply)
        within_limits(message)
        answers = next(b for b in message.blocks if b.get("block_id") == f"answers:{question.id}")
        assert [e["value"] for e in answers["elements"]] == [
            f"abc.3|{o.id}" for o in question.options]
        assert message.text.startswith("Question 3 of about 10")


@pytest.mark.parametrize("answers", answer_sets(Engine.default(), 150))
def test_every_result_and_summary_fits_block_kit(engine, answers: dict[str, Any]) -> None:
    _, rec = engine.assess({q: answers[q] for q in engine.walk(answers)})
    result = blocks.result(rec, runner="U1", answers=answers, summary_channel="C1",
                           review_months=rec.review_in_months)
    within_limits(result)
    within_limits(blocks.summary(rec, "U1"))
    assert result.text == f"Recommendation: {rec.headline}"


def test_closed_notices_and_home_fit_block_kit() -> None:
    within_limits(blocks.closed(Closed(ref="a.1", prompt="Is it <secret> & big?", note="Yes")))
    within_limits(blocks.notice(Notice(text="x" * 5000, level="error")))
    home = blocks.home([], "intro")
    assert home["type"] == "home" and len(home["blocks"]) <= 100


def test_text_from_the_flow_cannot_become_a_mention_or_a_link() -> None:
    message = blocks.closed(Closed(ref="a.1", prompt="<!channel> & <http://x|y>", note="n"))
    assert "&lt;!channel&gt; &amp; &lt;http://x|y&gt;" in str(message.blocks)
