"""The global shortcut's modal end to end: signed shortcut and block_actions payloads, views
opened and updated in the fake Web API (which checks each update's hash as Slack does)."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.core.conversation import CANCELLED
from bot.platforms.slack.dialogue import Who
from bot.platforms.slack.modal import BUSY, SHORTCUT, modal_key
from tests.e2e.slack_testbed import FORM, SlackTestbed, slack_settings

FORK = ["fork", "active", "none", "no", "none", "yes", "one"]


@pytest.fixture
async def slack(fake, tmp_path) -> AsyncIterator[SlackTestbed]:
    bed = SlackTestbed(fake, slack_settings(fake, tmp_path))
    await bed.start()
    yield bed
    await bed.stop()


async def shortcut(bed: SlackTestbed, user: str = "U1") -> str:
    """Pick the shortcut; the id of the view it opened."""
    payload = {"type": "shortcut", "token": "legacy", "action_ts": f"{time.time():.6f}",
               "team": {"id": "T1", "domain": "t1"}, "callback_id": SHORTCUT,
               "user": {"id": user, "username": user.lower(), "team_id": "T1"},
               "trigger_id": bed.next_id("trigger")}
    status, _ = await bed.send(urlencode({"payload": json.dumps(payload)}), FORM)
    assert status == 200
    return list(bed.fake.views)[-1]  # updates keep a view's place: the last one is new


def elements(view: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {e["action_id"]: (b["block_id"], e) for b in view["blocks"]
            for e in b.get("elements", []) if "action_id" in e}


async def click(bed: SlackTestbed, view: dict[str, Any], action_id: str, user: str = "U1",
                values: dict[str, Any] | None = None) -> None:
    """Click in a view as the user sees it (pass an old copy to click in an outdated one)."""
    block_id, element = elements(view)[action_id]
    shown = {**view, "state": {"values": values or {}}}
    payload = {"type": "block_actions", "team": {"id": "T1"}, "api_app_id": "A1",
               "user": {"id": user, "username": user.lower(), "team_id": "T1"},
               "container": {"type": "view", "view_id": view["id"]},
               "trigger_id": bed.next_id("trigger"), "view": shown,
               "actions": [{"type": element["type"], "action_id": action_id,
                            "block_id": block_id, "value": element.get("value"),
                            "action_ts": f"{time.time():.6f}"}]}
    status, _ = await bed.send(urlencode({"payload": json.dumps(payload)}), FORM)
    assert status == 200


def asked(view: dict[str, Any]) -> str | None:
    """The id of the question a view asks, if it asks one."""
    return next((b["block_id"].removeprefix("answers:") for b in view["blocks"]
                 if b.get("block_id", "").startswith("answers:")), None)


def text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"])


async def answer(bed: SlackTestbed, view_id: str, options: list[str]) -> None:
    for option in options:
        view = bed.fake.views[view_id]
        if "modal_continue" in elements(view):  # checkboxes: `a+b` ticks a and b
            ticked = [{"value": o} for o in option.split("+") if o]
            await click(bed, view, "modal_continue", values={"modal_choices": {"modal_choices": {
                "type": "checkboxes", "selected_options": ticked}}})
        else:
            await click(bed, view, f"modal_answer:{option}")


async def test_the_shortcut_opens_a_modal_at_the_first_question(slack, fake) -> None:
    view_id = await shortcut(slack)
    [opened] = fake.called("views.open")
    assert opened.params["trigger_id"].startswith("trigger")
    view = fake.views[view_id]
    assert view["type"] == "modal" and view["title"]["text"] == "opensource-check"
    assert asked(view) == "upstream"
    assert slack.advisor is not None
    stored = await slack.advisor.current(modal_key(Who("T1", "U1")))
    assert stored is not None and view["private_metadata"] == stored.ref
    fork = elements(view)["modal_answer:fork"][1]
    assert fork["accessibility_label"].startswith("Yes, it changes or forks one, answer to: Is")
    assert "modal_back" not in elements(view)  # nothing to go back to yet


async def test_the_modal_walks_the_flow_to_the_result_including_back(slack, fake) -> None:
    view_id = await shortcut(slack)
    await answer(slack, view_id, ["no"])
    assert asked(fake.views[view_id]) == "confidential"
    back = elements(fake.views[view_id])["modal_back"][1]
    assert back["accessibility_label"] == "Back to the previous question"
    await click(slack, fake.views[view_id], "modal_back")
    assert asked(fake.views[view_id]) == "upstream"
    await answer(slack, view_id, FORK)
    view = fake.views[view_id]
    assert asked(view) is None
    assert "Contribute upstream" in text(view)
    actions = elements(view)
    assert {"summary_channel", "post_summary", "remind", "modal_restart"} <= set(actions)
    assert "start_over" not in actions  # starting over stays in the modal
    assert slack.advisor is not None
    page = await slack.advisor.store.history(user_id="U1", platform="slack")
    assert [e.channel for e in page.entries] == ["modal"]
    assert fake.dm("U1") == []  # the DM is left alone


async def test_the_modal_result_posts_a_summary_and_sets_a_reminder(slack, fake) -> None:
    view_id = await shortcut(slack)
    await answer(slack, view_id, FORK)
    picked = {"result": {"summary_channel": {"type": "conversations_select",
                                             "selected_conversation": "C2"}}}
    await click(slack, fake.views[view_id], "post_summary", values=picked)
    posted = [m for m in fake.messages if m.channel == "C2"]
    assert len(posted) == 1 and posted[0].text.startswith("<@U1> ran an opensource-check")
    await click(slack, fake.views[view_id], "remind")
    assert fake.called("chat.scheduleMessage")[-1].params["channel"] == "U1"  # their DM


async def test_cancel_ends_the_check_and_a_new_one_can_start_in_the_same_window(
        slack, fake) -> None:
    view_id = await shortcut(slack)
    await answer(slack, view_id, ["no"])
    await click(slack, fake.views[view_id], "modal_cancel")
    view = fake.views[view_id]
    assert "cancelled" in text(view) and asked(view) is None
    assert slack.advisor is not None
    stored = await slack.advisor.current(modal_key(Who("T1", "U1")))
    assert stored is not None and stored.state == CANCELLED
    await click(slack, view, "modal_restart")
    assert asked(fake.views[view_id]) == "upstream"


async def test_a_click_in_a_stale_view_changes_nothing_and_says_so(slack, fake) -> None:
    first = await shortcut(slack)
    second = await shortcut(slack)  # a second window resumes the same check
    assert first != second and asked(fake.views[second]) == "upstream"
    await answer(slack, second, ["no"])
    assert slack.advisor is not None
    before = await slack.advisor.current(modal_key(Who("T1", "U1")))
    await click(slack, fake.views[first], "modal_answer:fork")  # the old window's question
    after = await slack.advisor.current(modal_key(Who("T1", "U1")))
    assert after == before
    stale = fake.views[first]
    assert "already been answered; nothing changed" in text(stale)
    assert asked(stale) == "confidential"  # brought up to date


async def test_a_double_click_in_the_same_view_advances_once(slack, fake) -> None:
    view_id = await shortcut(slack)
    shown = copy.deepcopy(fake.views[view_id])
    await click(slack, shown, "modal_answer:no")
    await click(slack, shown, "modal_answer:fork")  # the same view, before it was updated
    assert asked(fake.views[view_id]) == "confidential"
    # The second update named the hash of the view it saw, which Slack refuses once the view
    # has changed: the newer view stays, without a stale note over it.
    assert len(fake.called("views.update")) == 2
    assert "nothing changed" not in text(fake.views[view_id])
    assert slack.advisor is not None
    stored = await slack.advisor.current(modal_key(Who("T1", "U1")))
    assert stored is not None and stored.answers == {"upstream": "no"}


async def test_the_dm_check_and_the_modal_check_are_separate(slack, fake) -> None:
    view_id = await shortcut(slack)
    await answer(slack, view_id, ["no"])
    await slack.command("U1")
    dm_questions = [m for m in fake.dm("U1") if m.text.startswith("Question")]
    assert dm_questions and dm_questions[-1].text.startswith("Question 1")


async def test_a_shortcut_when_the_replica_is_full_opens_a_modal_that_says_so(
        fake, tmp_path) -> None:
    bed = SlackTestbed(fake, slack_settings(fake, tmp_path), turn_limit=1)
    await bed.start()
    try:
        fake.delays["chat.postMessage"] = 0.5  # U1's turn is still in flight ...
        await bed.send(bed.command_body("U1"), FORM, settle=False)
        view_id = await shortcut(bed, "U2")  # ... when U2 picks the shortcut
        assert BUSY.split(";")[0] in text(fake.views[view_id])
        assert bed.advisor is not None
        assert await bed.advisor.current(modal_key(Who("T1", "U2"))) is None  # nothing changed
    finally:
        await bed.stop()
