"""The remembered recommendations: the same as computing afresh, per flow and answer set."""

from __future__ import annotations

from bot.core import advice
from bot.core.engine import Engine
from bot.core.flow import DONE


def finished_walk(engine: Engine, pick: int) -> tuple[dict[str, object], list[str]]:
    answers: dict[str, object] = {}
    state = engine.flow.start
    while state != DONE:
        question = engine.flow.by_id[state]
        option = question.options[min(pick, len(question.options) - 1)].id
        answers[state] = [option] if question.multiple else option
        state = engine.next_state(state, answers)  # type: ignore[arg-type]
    return answers, engine.walk(answers)  # type: ignore[arg-type]


def test_a_remembered_recommendation_is_the_one_computed_afresh() -> None:
    engine = Engine.default()
    for pick in range(3):
        answers, asked = finished_walk(engine, pick)
        first = advice.recommend(answers, asked, engine.flow)  # type: ignore[arg-type]
        again = advice.recommend(dict(answers), list(asked), engine.flow)  # type: ignore[arg-type]
        assert again is first  # remembered
        relevant = {q: answers[q] for q in asked}
        assert first == advice._recommend(relevant, engine.flow)  # type: ignore[arg-type]


def test_another_flow_never_gets_a_remembered_recommendation_of_the_first() -> None:
    one, other = Engine.default(), Engine.default()  # equal content, distinct objects
    answers, asked = finished_walk(one, 0)
    mine = advice.recommend(answers, asked, one.flow)  # type: ignore[arg-type]
    theirs = advice.recommend(answers, asked, other.flow)  # type: ignore[arg-type]
    assert theirs is not mine and theirs == mine
