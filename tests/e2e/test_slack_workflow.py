"""The Workflow Builder step end to end: signed `function_executed` events, answered through the
fake Web API's functions.completeSuccess and functions.completeError; and the manifest and README
kept in step with the flow."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.engine import Engine
from bot.platforms.slack.function import BUSY, CALLBACK_ID, definition, regenerate
from tests.e2e.fake_slack import FakeSlack
from tests.e2e.slack_testbed import SlackTestbed, slack_settings

ROOT = Path(__file__).resolve().parents[2]
FORK = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
        "differentiator": "no", "obligations": "none", "ownership": "yes", "entities": "one"}


@pytest.fixture
async def slack(fake, tmp_path) -> AsyncIterator[SlackTestbed]:
    bed = SlackTestbed(fake, slack_settings(fake, tmp_path))
    await bed.start()
    yield bed
    await bed.stop()


def executed(inputs: dict[str, Any], execution: str = "Fx1") -> str:
    """A function_executed event as Slack sends it when a workflow reaches the step."""
    return json.dumps({
        "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
        "event_id": f"Ev{execution}", "event_time": int(time.time()),
        "event": {"type": "function_executed", "function_execution_id": execution,
                  "bot_access_token": "xwfp-T1-step", "inputs": inputs,
                  "event_ts": f"{time.time():.6f}",
                  "function": {"id": "Fn1", "callback_id": CALLBACK_ID, "title": "Check",
                               "type": "app", "app_id": "A1", "date_updated": 1,
                               "input_parameters": [], "output_parameters": []}}})


async def run(slack: SlackTestbed, inputs: dict[str, Any], execution: str = "Fx1") -> int:
    status, _ = await slack.send(executed(inputs, execution), "application/json")
    return status


def completed(fake: FakeSlack) -> list[dict[str, Any]]:
    return [c.params for c in fake.called("functions.completeSuccess")]


def failed(fake: FakeSlack) -> list[str]:
    return [c.params["error"] for c in fake.called("functions.completeError")]


async def test_good_inputs_complete_the_step_with_the_recommendation(slack, fake) -> None:
    assert await run(slack, {**FORK, "requester": "U1"}) == 200
    [call] = fake.called("functions.completeSuccess")
    assert call.token == "xwfp-T1-step"  # the execution's own token, not the bot's
    assert call.params["function_execution_id"] == "Fx1"
    outputs = call.params["outputs"]
    _, rec = Engine.default().assess(FORK)
    assert outputs["path"] == rec.path.value == "contribute_upstream"
    assert outputs["governance"] == rec.governance.value
    assert outputs["target_governance"] == ""
    assert outputs["flags"] == [f.value for f in rec.flags]
    assert outputs["conflict_count"] == len(rec.conflicts)
    assert outputs["summary"].startswith(rec.headline)
    assert failed(fake) == []


async def test_labels_work_as_well_as_ids_and_the_check_joins_the_requesters_history(
        slack, fake) -> None:
    await run(slack, {"upstream": "Yes, it changes or forks one", "upstream_health": "active",
                      "confidential": "no, NOTHING confidential", "differentiator": "no",
                      "obligations": ["None of these"], "ownership": "yes",
                      "entities": "one", "requester": "U7"})
    assert completed(fake)[0]["outputs"]["path"] == "contribute_upstream"
    assert slack.advisor is not None
    page = await slack.advisor.store.history(user_id="U7", platform="slack")
    assert [(e.channel, e.answers) for e in page.entries] == [
        ("workflow", {**FORK, "obligations": ["none"]})]


@pytest.mark.parametrize(("inputs", "named"), [
    ({**FORK}, "`requester` is required"),
    ({**FORK, "requester": "alice@example.com"}, "`requester` must be a Slack user"),
    ({**FORK, "upstream": "maybe", "requester": "U1"}, "`upstream`"),
    ({**FORK, "colour": "blue", "requester": "U1"}, "`colour`"),
    ({"upstream": "no", "confidential": "none", "requester": "U1"}, "`differentiator`"),
    ({**FORK, "ownership": 3, "requester": "U1"}, "`ownership` must be text"),
])
async def test_bad_inputs_fail_the_step_with_a_message_naming_the_input(
        slack, fake, inputs, named) -> None:
    assert await run(slack, inputs) == 200
    assert completed(fake) == []
    [error] = failed(fake)
    assert named in error
    assert slack.advisor is not None
    assert (await slack.advisor.store.history(platform="slack")).entries == []


async def test_a_retried_event_completes_the_step_once(slack, fake) -> None:
    body = executed({**FORK, "requester": "U1"})
    for retry in (None, "1"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} \
            if retry else {}
        status, _ = await slack.send(body, "application/json", headers)
        assert status == 200
    assert len(completed(fake)) == 1


# --- the manifest and the README ------------------------------------------------------------


def test_the_manifests_step_has_one_input_per_question_of_the_flow() -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text())
    flow = Engine.default().flow
    step = manifest["functions"][CALLBACK_ID]
    assert step == definition(flow)
    assert set(step["input_parameters"]) == {q.id for q in flow.questions} | {"requester"}
    for question in flow.questions:
        expected = "array" if question.multiple else "string"
        assert step["input_parameters"][question.id]["type"] == expected


def test_manifest_and_readme_are_what_the_generator_writes() -> None:
    manifest = (ROOT / "manifest.json").read_text()
    readme = (ROOT / "README.md").read_text()
    assert regenerate(manifest, readme, Engine.default().flow) == (manifest, readme), (
        "run: python -m bot.platforms.slack.function")


async def test_a_step_that_arrives_when_the_replica_is_full_fails_at_once(fake, tmp_path) -> None:
    bed = SlackTestbed(fake, slack_settings(fake, tmp_path), turn_limit=1)
    await bed.start()
    try:
        fake.delays["chat.postMessage"] = 0.5  # U1's turn is still in flight ...
        await bed.send(bed.command_body("U1"), "application/x-www-form-urlencoded",
                       settle=False)
        assert await run(bed, {**FORK, "requester": "U2"}) == 200  # ... when the step runs
        assert failed(fake) == [BUSY] and completed(fake) == []
    finally:
        await bed.stop()
