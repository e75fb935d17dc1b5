"""History written by version 1 stays readable and exportable after the move to version 2."""

from __future__ import annotations

import csv
import io
import json

from bot.core.engine import Engine
from bot.store.base import HistoryEntry
from bot.store.export import to_csv, to_json

# One entry exactly as version 1 stored it: `agreements` could be `regulated`, flag notes had no
# links, and "what would change" was a flat list of single answers with ids.
VERSION_1_ENTRY = json.dumps({
    "platform": "slack", "workspace": "T1", "channel": "D1", "user_id": "U1",
    "completed_at": "2026-03-01T09:30:00Z", "flow": "opensource_check", "flow_version": 1,
    "answers": {"upstream": "no", "confidential": "none", "differentiator": "no",
                "audience": "company", "internal_only": "no", "users": "many_teams",
                "contributors": "patches", "control": "final_say", "capacity": "internal",
                "entities": "several_countries", "agreements": "regulated"},
    "recommendation": {
        "path": "innersource", "governance": "contributions_welcome", "target_governance": None,
        "flags": ["transfer_pricing", "ring_fencing"],
        "flag_notes": [{"flag": "ring_fencing", "action": "Check with the regulated entity."}],
        "rationale": [{"question": "contributors", "answer": "patches", "reason": "Patches."}],
        "next_steps": ["Add a CONTRIBUTING file."],
        "what_would_change": [{"question": "capacity", "answer": "none", "path": "innersource",
                               "governance": "readable_source"}],
        "learn_more": [{"title": "Governance levels", "url": "https://example.org/levels"}],
        "review_in_months": 6},
    "check_id": "c1:12"})


def test_a_version_1_history_entry_reads_with_its_what_ifs_as_choices() -> None:
    entry = HistoryEntry.model_validate_json(VERSION_1_ENTRY)
    assert entry.flow_version == 1 and entry.answers["agreements"] == "regulated"
    [choice] = entry.recommendation.what_would_change.choices
    assert (choice.changes[0].question, choice.governance) == ("capacity", "readable_source")
    assert entry.recommendation.flag_notes[0].links == []


def test_a_version_1_history_entry_exports_as_csv_and_json_beside_a_version_2_one() -> None:
    old = HistoryEntry.model_validate_json(VERSION_1_ENTRY)
    engine = Engine.default()
    answers = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
               "differentiator": "no", "obligations": ["encryption", "secrets"],
               "ownership": "yes", "entities": "one"}
    _, rec = engine.assess(answers)
    new = old.model_copy(update={"flow_version": 2, "answers": answers, "recommendation": rec,
                                 "check_id": "c2:9"})
    rows = list(csv.DictReader(io.StringIO(to_csv([new, old], list(engine.options)))))
    assert rows[1]["answer.agreements"] == "regulated" and rows[1]["path"] == "innersource"
    assert rows[0]["answer.obligations"] == "encryption;secrets"
    exported = json.loads(to_json([new, old]))
    assert [item.pop("review") for item in exported] == [None, None]
    assert [HistoryEntry.model_validate(item) for item in exported] == [new, old]
