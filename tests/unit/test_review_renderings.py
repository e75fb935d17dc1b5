"""The review's Slack and Teams renderings: what each state shows, and nothing over the limits."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from bot.core.reviews import ReviewState, decide, open_review
from bot.platforms.slack import review_blocks as slack
from bot.platforms.teams import review_cards as teams
from bot.store.base import HistoryEntry
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
CARD_SCHEMA = json.loads((ROOT / "tests/schemas/adaptive-card.v1.5.schema.json").read_text())
FORK = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
           "differentiator": "no", "obligations": ["none"], "ownership": "yes", "entities": "one"}


def review_and_entry(engine, name: str = "payments-sdk"):
    _, rec = engine.assess(FORK)
    entry = HistoryEntry(platform="slack", workspace="T1", channel="D1", user_id="U1",
                         user_name="anna", completed_at=NOW, flow="opensource_check",
                         flow_version=1, answers=FORK, recommendation=rec, check_id="c1:3")
    review, _ = open_review("r1", "c1:3", platform="slack", workspace="T1", requester="U1",
                            requester_name="anna", name=name, rereview_months=6, now=NOW)
    return review, entry


def actions(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks for e in b.get("elements", []) if "action_id" in e]


def test_a_pending_slack_card_has_the_three_decisions_and_a_decided_one_none(engine):
    review, entry = review_and_entry(engine)
    pending = slack.card(review, entry, engine.flow)
    assert actions(pending.blocks) == ["review_approve", "review_changes", "review_decline"]
    declined, _ = decide(review, ReviewState.DECLINED, reviewer="UR1", reviewer_name="oskar",
                         comment="<!channel> not now", now=NOW)
    done = slack.card(declined, entry, engine.flow)
    assert actions(done.blocks) == []
    assert "by <@UR1>" in json.dumps(done.blocks)
    assert "&lt;!channel&gt; not now" in json.dumps(done.blocks)  # no mention from a comment


def test_the_decision_modal_carries_the_review_and_the_decision(engine):
    review, _ = review_and_entry(engine)
    modal = slack.decision_modal(review, ReviewState.CHANGES_REQUESTED)
    assert json.loads(modal["private_metadata"]) == {"r": "r1", "d": "changes_requested"}
    assert modal["blocks"][-1]["optional"] is True


def test_changes_requested_offers_the_requester_a_re_run(engine):
    review, _ = review_and_entry(engine)
    changes, _ = decide(review, ReviewState.CHANGES_REQUESTED, reviewer="UR1",
                        reviewer_name=None, comment="split it", now=NOW)
    assert actions(slack.decided(changes).blocks) == ["review_rerun"]
    approved, _ = decide(review, ReviewState.APPROVED, reviewer="UR1", reviewer_name=None,
                         comment="", now=NOW)
    assert "remind you to check again on 2026-07-01" in json.dumps(slack.decided(approved).blocks)


def test_a_long_decision_record_is_split_into_sections_within_slacks_limit():
    message = slack.record("x" * 7000)
    assert len(message.blocks) == 3
    assert all(len(b["text"]["text"]) <= 3000 for b in message.blocks)


def test_every_teams_review_card_is_a_valid_adaptive_card(engine):
    review, entry = review_and_entry(engine)
    approved, _ = decide(review, ReviewState.APPROVED, reviewer="UR1", reviewer_name="oskar",
                         comment="ok", now=NOW)
    changes, _ = decide(review, ReviewState.CHANGES_REQUESTED, reviewer="UR1",
                        reviewer_name="oskar", comment="split", now=NOW)
    rendered = [teams.card(review, entry, engine.flow), teams.card(approved, entry, engine.flow),
                teams.offer("c1:3", "U1", needed=True, ospo="OSPO"),
                teams.offer("c1:3", "U1", needed=False, ospo="OSPO"), teams.queue([review]),
                teams.queue([]), teams.decided(approved), teams.decided(changes),
                teams.chase(review, 6), teams.rereview(approved), teams.gone(review),
                teams.note("hello")]
    validator = jsonschema.Draft6Validator(CARD_SCHEMA)
    for card in rendered:
        validator.validate(card)
    assert "actions" not in rendered[1]
    assert [a["data"]["decision"] for a in rendered[0]["actions"]] == [
        "approved", "changes_requested", "declined"]
