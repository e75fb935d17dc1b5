"""Property-based tests over every walk of the flow and every answer combination."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.conversation import Inbound
from bot.core.engine import Engine
from bot.core.outcomes import INNERSOURCE_MODELS, OPEN_SOURCE_MODELS, Governance, Path
from tests.conftest import NOW

ENGINE = Engine.default()
ANSWERS = st.fixed_dictionaries({q: st.sampled_from(opts) for q, opts in ENGINE.options.items()})
INPUTS = st.one_of(
    st.sampled_from(["back", "restart", "cancel", "help", "nonsense", "1", "2", "3", "4", "5"]),
    st.integers(min_value=0, max_value=5).map(str),
)


@given(ANSWERS)
@settings(max_examples=400)
def test_every_answer_set_yields_a_consistent_recommendation(answers) -> None:
    asked, rec = ENGINE.assess(answers)
    assert rec.rationale and rec.next_steps and rec.learn_more
    if rec.path is Path.OPEN_SOURCE:
        assert rec.governance in OPEN_SOURCE_MODELS
    if rec.path in (Path.INNERSOURCE, Path.INNERSOURCE_FIRST):
        assert rec.governance in INNERSOURCE_MODELS
    if rec.path is Path.INNERSOURCE_FIRST:
        assert rec.target_governance in OPEN_SOURCE_MODELS
    if rec.path is Path.KEEP_CLOSED:
        assert rec.governance is Governance.TEAM_OWNED
    if answers["confidential"] == "core":
        assert rec.path is not Path.OPEN_SOURCE
    if "entities" in asked and answers["entities"] == "several_countries":
        assert "transfer_pricing" in rec.flags
    singles = [w.changes[0] for w in rec.what_would_change.choices]
    assert len({(c.question, c.answer) for c in singles}) == len(singles)


@given(ANSWERS)
def test_no_skipped_question_is_ever_asked(answers) -> None:
    asked = ENGINE.walk(answers)
    if answers["upstream"] == "fork":
        assert asked == ["upstream", "confidential", "ownership"]
    if "agreements" in asked:
        assert answers["entities"] != "one"
    if "motivation" in asked:
        assert answers["confidential"] != "core" and answers["audience"] not in ("team",
                                                                                 "restricted")


@given(st.lists(INPUTS, max_size=60))
@settings(max_examples=300)
def test_any_sequence_of_inputs_keeps_the_conversation_valid(inputs) -> None:
    conversation = ENGINE.start("p", NOW).conversation
    for text in inputs:
        step = ENGINE.advance(conversation, Inbound.typed(text), NOW)
        assert step.replies
        assert step.changed == (step.conversation != conversation)
        conversation = step.conversation
        if conversation.active:
            assert conversation.state in ENGINE.flow.by_id
            assert conversation.asked == ENGINE.remaining(ENGINE.flow.start,
                                                          conversation.answers)[
                : len(conversation.asked)]


@given(ANSWERS)
def test_every_walk_by_answer_ends_with_a_result(answers) -> None:
    conversation = ENGINE.start("w", NOW).conversation
    for _ in range(len(ENGINE.flow.questions) + 1):
        if not conversation.active:
            break
        option = answers[conversation.state]
        conversation = ENGINE.advance(conversation, Inbound.click("answer", conversation.ref,
                                                                  option), NOW).conversation
    assert conversation.finished
    assert ENGINE.result(conversation).recommendation == ENGINE.assess(answers)[1]
