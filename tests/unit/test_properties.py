"""Property-based tests over every walk of the flow: one property per principle of domain.md v2,
then the engine's own invariants."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.conversation import Inbound
from bot.core.engine import Engine
from bot.core.outcomes import INNERSOURCE_MODELS, OPEN_SOURCE_MODELS, Governance, Path, more_open
from bot.core.rules import Decision, decide
from tests.conftest import NOW

ENGINE = Engine.default()
CONCRETE = [o for o in ENGINE.options["obligations"] if o not in ("none", "unsure")]
OBLIGATIONS = st.one_of(
    st.just(["none"]), st.just(["unsure"]),
    st.sets(st.sampled_from(CONCRETE), min_size=1).map(lambda s: [o for o in CONCRETE if o in s]))
ANSWERS = st.fixed_dictionaries({
    q: OBLIGATIONS if q == "obligations" else st.sampled_from(opts)
    for q, opts in ENGINE.options.items()})
INPUTS = st.one_of(
    st.sampled_from(["back", "restart", "cancel", "help", "nonsense", "1", "2", "3", "4", "5",
                     "1, 3", "none"]),
    st.integers(min_value=0, max_value=5).map(str),
)
# Principle 2: the order in which each listed answer gets more open.
OPENING = {
    "capacity": ["none", "internal", "dedicated"],
    "ownership": ["no", "unsure", "yes"],
    "confidential": ["core", "separable", "none"],
    "audience": ["team", "restricted", "company", "public"],
}


def outcome(answers: dict[str, object]) -> Decision:
    """The decision for the questions a walk of these answers asks (fast: no texts)."""
    return decide({q: answers[q] for q in ENGINE.walk(answers)}, explain=False)  # type: ignore[misc]


def texts(rec) -> str:
    return " ".join([*rec.next_steps, *(n.action for n in rec.flag_notes),
                     *(r.reason for r in rec.rationale), *(link.url for link in rec.learn_more)])


# --- 1. Never contradict an answer ------------------------------------------------------------

@given(ANSWERS)
@settings(max_examples=120, deadline=None)
def test_1_no_step_link_or_reason_goes_against_an_answer(answers) -> None:
    asked, rec = ENGINE.assess(answers)
    said = texts(rec)
    if "audience" in asked and answers["audience"] in ("team", "restricted"):
        assert "portal" not in said.lower()
        assert rec.path is not Path.OPEN_SOURCE
    if "contributors" in asked and answers["contributors"] == "owners_only":
        assert "pull requests" not in " ".join(rec.next_steps)
    if "control" in asked and answers["control"] == "full":
        assert "trademark and infrastructure" not in said
    for conflict in rec.conflicts:
        assert set(conflict.questions) <= set(asked) and conflict.summary and conflict.decide


# --- 2. Monotone in capacity, ownership, confidentiality, audience and obligations ------------

@given(ANSWERS, st.sampled_from(sorted(OPENING)), st.data())
@settings(max_examples=400, deadline=None)
def test_2_a_more_open_answer_never_gives_a_less_open_path(answers, question, data) -> None:
    ladder = OPENING[question]
    low = data.draw(st.sampled_from(ladder[:-1]))
    high = data.draw(st.sampled_from(ladder[ladder.index(low) + 1:]))
    before = outcome({**answers, question: low}).path
    after = outcome({**answers, question: high}).path
    assert not more_open(before, after), (question, low, high, before, after)


@given(ANSWERS)
@settings(max_examples=300, deadline=None)
def test_2_fewer_obligations_never_give_a_less_open_path(answers) -> None:
    found = answers["obligations"]
    fewer = [["none"]] if found == ["unsure"] else [
        [o for o in found if o != dropped] or ["none"] for dropped in found]
    before = outcome(answers).path
    for less in fewer:
        after = outcome({**answers, "obligations": less}).path
        assert not more_open(before, after), (found, less, before, after)


# --- 3. Rights are checked on every path ------------------------------------------------------

@given(ANSWERS)
@settings(max_examples=300, deadline=None)
def test_3_code_the_company_may_not_fully_own_is_always_flagged(answers) -> None:
    d = outcome(answers)
    assert ("legal_review" in d.flags) == (answers["ownership"] != "yes")


# --- 4. Outside organisations are never called InnerSource ------------------------------------

@given(ANSWERS)
@settings(max_examples=300, deadline=None)
def test_4_outside_contributors_never_get_an_innersource_path(answers) -> None:
    asked = ENGINE.walk(answers)
    d = outcome(answers)
    if "contributors" in asked and answers["contributors"] == "external":
        assert d.path not in (Path.INNERSOURCE, Path.INNERSOURCE_FIRST)
    if d.path is Path.PARTNER_SOURCE:
        assert "partner_agreement" in d.flags


# --- 5. Unknown is not a fact -----------------------------------------------------------------

@given(ANSWERS)
@settings(max_examples=120, deadline=None)
def test_5_unknown_answers_get_the_cautious_reading_and_a_step_to_find_out(answers) -> None:
    asked, rec = ENGINE.assess(answers)
    notes = {n.flag.value: n.action for n in rec.flag_notes}
    if answers["entities"] == "unknown":
        assert notes["transfer_pricing"].startswith("Find out")
    if "regulated" in asked and answers["regulated"] == "unknown":
        assert notes["ring_fencing"].startswith("Find out")
    if "agreements" in asked and answers["agreements"] == "unknown":
        assert notes["intercompany_agreement"].startswith("Ask finance whether")
    if answers["obligations"] == ["unsure"]:
        assert rec.next_steps[0].startswith("Scan the repository")
        assert rec.path is not Path.OPEN_SOURCE
    if answers["ownership"] == "unsure" and answers["upstream"] != "fork":
        assert rec.path is not Path.OPEN_SOURCE
    assert not any(" is not known" in r.reason and r.question not in asked
                   for r in rec.rationale)


# --- 6. Every flag has one concrete action and a source; no generic repeats --------------------

@given(ANSWERS)
@settings(max_examples=120, deadline=None)
def test_6_every_flag_has_an_action_and_a_link_and_no_reason_repeats(answers) -> None:
    _, rec = ENGINE.assess(answers)
    assert [n.flag for n in rec.flag_notes] == rec.flags
    assert all(n.action and n.links for n in rec.flag_notes)
    reasons = [r.reason for r in rec.rationale]
    assert len(reasons) == len(set(reasons))
    assert len(rec.next_steps) == len(set(rec.next_steps))
    found = answers["obligations"]
    for obligation, flag in (("encryption", "export_control"), ("export_control", "export_control"),
                             ("personal_data", "personal_data"), ("contract", "contract_review"),
                             ("copyleft", "licence_obligations"), ("patents", "patent_review"),
                             ("secrets", "secret_cleanup")):
        if obligation in found:
            assert flag in rec.flags


# --- The shape of every recommendation, and what would change ---------------------------------

@given(ANSWERS)
@settings(max_examples=60, deadline=None)
def test_every_recommendation_is_consistent_and_every_what_if_is_true(answers) -> None:
    asked, rec = ENGINE.assess(answers)
    assert rec.rationale and rec.next_steps and rec.learn_more
    if rec.path is Path.OPEN_SOURCE:
        assert rec.governance in OPEN_SOURCE_MODELS
    if rec.path in (Path.INNERSOURCE, Path.INNERSOURCE_FIRST, Path.PARTNER_SOURCE):
        assert rec.governance in INNERSOURCE_MODELS
    if rec.target_governance is not None:
        assert rec.target_governance in OPEN_SOURCE_MODELS
    if rec.path is Path.KEEP_CLOSED:
        assert rec.governance is Governance.TEAM_OWNED
    if answers["confidential"] == "core":
        assert rec.path not in (Path.OPEN_SOURCE, Path.CONTRIBUTE_UPSTREAM)
    given_answers = {q: answers[q] for q in asked}
    for entry in rec.what_would_change.all:
        changed = {**given_answers, **{c.question: c.answer for c in entry.changes},
                   **{c.question: c.answer for c in entry.assumed}}
        _, again = ENGINE.assess(changed)
        assert (again.path, again.governance, again.target_governance) == (
            entry.path, entry.governance, entry.target_governance), entry
    for route in rec.what_would_change.routes:
        assert more_open(route.path, rec.path) and 1 <= len(route.changes) <= 2


@given(ANSWERS)
def test_no_skipped_question_is_ever_asked(answers) -> None:
    asked = ENGINE.walk(answers)
    if answers["upstream"] == "fork":
        expected = ["upstream", "upstream_health", "confidential", "differentiator"]
        if answers["upstream_health"] == "abandoned":
            expected.append("capacity")
        assert asked[:len(expected) + 2] == [*expected, "obligations", "ownership"]
        assert set(asked) <= {*expected, "obligations", "ownership", "entities", "agreements",
                              "regulated"}
    assert "ownership" in asked
    if "agreements" in asked:
        assert answers["entities"] != "one" and "regulated" in asked
    if "motivation" in asked:
        assert answers["confidential"] != "core" and answers["audience"] not in ("team",
                                                                                 "restricted")


@given(st.lists(INPUTS, max_size=60))
@settings(max_examples=150, deadline=None)
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
@settings(max_examples=40, deadline=None)
def test_every_walk_by_answer_ends_with_a_result(answers) -> None:
    conversation = ENGINE.start("w", NOW).conversation
    for _ in range(len(ENGINE.flow.questions) + 1):
        if not conversation.active:
            break
        option = answers[conversation.state]
        inbound = (Inbound.submit(conversation.ref, tuple(option)) if isinstance(option, list)
                   else Inbound.click("answer", conversation.ref, option))
        conversation = ENGINE.advance(conversation, inbound, NOW).conversation
    assert conversation.finished
    assert ENGINE.result(conversation).recommendation == ENGINE.assess(answers)[1]
