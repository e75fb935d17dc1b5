"""The flow file loads, matches the domain's contract, and broken flows fail clearly."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from bot.core.conditions import CONDITIONS
from bot.core.engine import flows_dir
from bot.core.flow import FlowError, load_flow, parse_flow

CONTRACT = {
    "upstream": ["fork", "overlaps", "no"],
    "upstream_health": ["active", "slow", "abandoned"],
    "confidential": ["core", "separable", "none"],
    "differentiator": ["yes", "partly", "no"],
    "audience": ["team", "restricted", "company", "public"],
    "internal_only": ["yes", "partly", "no"],
    "users": ["team", "few_teams", "many_teams", "external"],
    "contributors": ["owners_only", "issues", "patches", "co_maintainers", "external"],
    "control": ["full", "final_say", "shared", "neutral"],
    "capacity": ["none", "internal", "dedicated"],
    "obligations": ["encryption", "export_control", "personal_data", "contract", "copyleft",
                    "patents", "secrets", "none", "unsure"],
    "ownership": ["yes", "unsure", "no"],
    "entities": ["one", "several_same_country", "several_countries", "unknown"],
    "agreements": ["in_place", "none", "unknown"],
    "regulated": ["yes", "no", "unknown"],
    "motivation": ["none", "transparency", "reputation", "standard", "adoption"],
}

FLOW_FILES = sorted(flows_dir().glob("*.yaml"))


def raw_flow() -> dict[str, object]:
    return yaml.safe_load((flows_dir() / "opensource_check.yaml").read_text())


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_every_flow_file_loads(path: Path) -> None:
    assert load_flow(path, CONDITIONS).questions


def test_questions_and_options_match_the_public_contract(engine) -> None:
    assert engine.options == CONTRACT


FACTS = {"upstream", "upstream_health", "confidential", "differentiator", "internal_only", "users",
         "entities", "agreements", "regulated", "obligations", "ownership"}


def test_each_question_says_whether_it_is_a_fact_or_a_choice(engine) -> None:
    kinds = {q.id: q.kind for q in engine.flow.questions}
    assert {q for q, kind in kinds.items() if kind == "fact"} == FACTS
    assert [q.id for q in engine.flow.questions if q.multiple] == ["obligations"]
    obligations = engine.flow.by_id["obligations"]
    assert [o.id for o in obligations.options if o.exclusive] == ["none", "unsure"]


def test_a_single_choice_question_cannot_have_more_than_five_options() -> None:
    data = break_flow(lambda d: d["questions"][0]["options"].extend(
        {"id": f"extra{i}", "label": f"Extra {i}"} for i in range(3)))
    with pytest.raises(FlowError, match="at most 5 for a single-choice question"):
        parse_flow(data, "flows/broken.yaml", CONDITIONS)


def test_every_question_has_help_and_a_block(engine) -> None:
    for question in engine.flow.questions:
        assert question.why and question.block.value in {"visibility", "participation", "tax",
                                                          "readiness"}


def break_flow(change) -> dict[str, object]:
    data = copy.deepcopy(raw_flow())
    change(data)
    return data


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["questions"][2]["next"][-1].__setitem__("to", "nowhere"),
     "question 'confidential': route to unknown 'nowhere'"),
    (lambda d: d["questions"][0]["next"].insert(0, {"to": "differentiator", "when": "magic"}),
     "question 'upstream': unknown condition 'magic'"),
    (lambda d: d["questions"][3].__setitem__("colour", "red"),
     "question 'differentiator': colour: Extra inputs are not permitted"),
    (lambda d: d["questions"][4]["options"][1].__setitem__("id", "team"),
     "question 'audience': duplicate option id 'team'"),
    (lambda d: d["questions"][5]["next"].insert(0, {"to": "upstream"}),
     "question 'internal_only': only the last route may be unconditional"),
    (lambda d: d["questions"][5]["next"].__setitem__(0, {"to": "upstream"}),
     "routes form a cycle"),
    (lambda d: d.__setitem__("start", "motivation"), "unreachable from 'motivation'"),
])
def test_a_broken_flow_fails_with_the_file_question_and_problem(change, message) -> None:
    with pytest.raises(FlowError) as error:
        parse_flow(break_flow(change), "flows/broken.yaml", CONDITIONS)
    assert str(error.value).startswith("flows/broken.yaml: ")
    assert message in str(error.value)


def test_an_unreadable_flow_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("questions: [unclosed")
    with pytest.raises(FlowError, match=r"bad\.yaml: cannot read the flow"):
        load_flow(path, CONDITIONS)
