"""The Slack app end to end: the real server on an ephemeral port, every request signed with the
signing secret, Slack's Web API answered by a local fake that records every call."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import jsonschema
import pytest

from bot.crypto import generate_key
from bot.errors import ConfigurationError
from bot.platforms.slack.app import BOT_SCOPES, check_settings
from bot.platforms.slack.function import CALLBACK_ID
from bot.platforms.slack.modal import SHORTCUT
from bot.settings import Settings
from bot.store.base import ConversationKey
from tests.e2e.fake_slack import FakeSlack, Posted
from tests.e2e.slack_testbed import SlackTestbed, open_question, slack_settings

ROOT = Path(__file__).resolve().parents[2]
FORK = ["fork", "active", "none", "no", "none", "yes", "one"]  # -> contribute_upstream
# (upstream, its health, confidential, differentiator, obligations (ticked: none), ownership,
# entities)
INNERSOURCE = ["no", "core", "yes", "company", "yes", "many_teams", "patches", "final_say",
               "internal", "none", "yes", "one"]


@pytest.fixture
async def slack(fake, tmp_path) -> AsyncIterator[SlackTestbed]:
    bed = SlackTestbed(fake, slack_settings(fake, tmp_path))
    await bed.start()
    yield bed
    await bed.stop()


def question(fake: FakeSlack, user: str = "U1") -> tuple[str, Posted]:
    found = open_question(fake.dm(user))
    assert found is not None, [m.text for m in fake.dm(user)]
    return found


def result(fake: FakeSlack, user: str = "U1") -> Posted:
    return next(m for m in reversed(fake.dm(user)) if m.text.startswith("Recommendation:"))


def ephemerals(fake: FakeSlack, user: str = "U1") -> list[str]:
    return [m.text for m in fake.messages if m.user == user]


async def answer(slack: SlackTestbed, options: list[str], user: str = "U1") -> None:
    for option in options:
        _, message = question(slack.fake, user)
        assert await slack.click(user, message, f"answer:{option}") == 200


# --- whole checks ---------------------------------------------------------------------------


async def test_a_whole_check_through_buttons_ends_with_a_result_message(slack, fake) -> None:
    status, body = await slack.command("U1", channel="C1")
    assert status == 200 and "direct messages" in body and "<#C1>" in body
    await answer(slack, INNERSOURCE)
    final = result(fake)
    assert "InnerSource" in final.text
    headers = [b for b in final.blocks if b["type"] == "header"]
    assert headers[0]["text"]["text"] == "InnerSource"
    picker = next(e for b in final.blocks for e in b.get("elements", [])
                  if e.get("action_id") == "summary_channel")
    assert picker["initial_conversation"] == "C1"
    assert open_question(fake.dm("U1")) is None
    assert all(c.params.get("text") for c in fake.calls if c.method.startswith("chat."))


async def test_each_answer_updates_its_question_to_show_the_choice_without_buttons(
        slack, fake) -> None:
    await slack.command("U1")
    _, first = question(fake)
    await slack.click("U1", first, "answer:fork")
    assert first.text.endswith("Yes, it changes or forks one")
    assert not [b for b in first.blocks if b["type"] == "actions"]
    assert "\u2714" in str(first.blocks)  # an answer gets the check mark
    assert question(fake)[0] == "upstream_health"


async def test_a_whole_check_through_typed_replies_in_the_dm(slack, fake) -> None:
    assert await slack.dm("U1", "hi") == 200
    for text in ["1", "active", "No, nothing confidential", "no", "1, 3", "yes", "1"]:
        assert await slack.dm("U1", text) == 200
    assert "Contribute upstream" in result(fake).text
    closed = [m for m in fake.dm("U1") if "\u2014" in m.text]
    assert [m.text.rsplit("\u2014 ", 1)[1] for m in closed] == [
        "Yes, it changes or forks one", "Active, it reviews and merges changes",
        "No, nothing confidential", "No, it is commodity code",
        "It implements or ships cryptography, Personal data in code, tests or history",
        "Yes, all of it", "No, a single legal entity"]


async def test_back_restart_and_cancel(slack, fake) -> None:
    await slack.command("U1")
    await answer(slack, ["no"])
    _, second = question(fake)
    await slack.click("U1", second, "back")
    assert question(fake)[0] == "upstream"
    await slack.command("U1", "restart")
    assert question(fake)[0] == "upstream"
    _, current = question(fake)
    await slack.click("U1", current, "cancel")
    assert open_question(fake.dm("U1")) is None
    assert current.text.endswith("Cancelled")


async def test_why_we_ask_is_shown_only_to_the_user_and_changes_nothing(slack, fake) -> None:
    await slack.command("U1")
    _, first = question(fake)
    await slack.click("U1", first, "help")
    assert ephemerals(fake)[-1].startswith("Why we ask:")
    assert question(fake)[1] is first


async def test_a_check_resumes_after_the_server_restarts(slack, fake) -> None:
    await slack.command("U1")
    await answer(slack, FORK[:5])
    await slack.restart()
    _, before = question(fake)
    await slack.command("U1")
    assert question(fake)[0] == "ownership"
    assert before.text.endswith("Asked again below")  # one set of live buttons, not two
    await answer(slack, FORK[5:])
    assert "Contribute upstream" in result(fake).text


async def test_slack_gets_its_ack_before_the_web_api_work_is_done(slack, fake) -> None:
    fake.delays["chat.postMessage"] = 1.0
    started = time.perf_counter()
    status, _ = await slack.send(slack.command_body("U1"), "application/x-www-form-urlencoded",
                                 settle=False)
    assert status == 200 and time.perf_counter() - started < 0.5
    await slack.settle()
    assert question(fake)[0] == "upstream"


# --- retries, double clicks, stale clicks, signatures ----------------------------------------


async def test_the_same_event_delivered_three_times_is_applied_once(slack, fake) -> None:
    await slack.command("U1")
    event = {"type": "message", "channel_type": "im", "channel": "DU1", "user": "U1",
             "text": "fork", "ts": "1.0"}
    body = slack.event_body(event, "EvSame")
    for retry in (None, "1", "2"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} \
            if retry else {}
        status, _ = await slack.send(body, "application/json", headers)
        assert status == 200
    assert question(fake)[0] == "upstream_health"
    assert len(fake.called("chat.update")) == 1


async def test_the_same_click_delivered_twice_advances_once(slack, fake) -> None:
    await slack.command("U1")
    _, first = question(fake)
    body = slack.click_body("U1", first, "answer:no")
    for _ in range(2):
        assert (await slack.send(body, "application/x-www-form-urlencoded"))[0] == 200
    assert question(fake)[0] == "confidential"
    assert len(fake.called("chat.update")) == 1


async def test_fifty_concurrent_clicks_advance_once_and_the_repeats_stay_silent(
        slack, fake) -> None:
    await slack.command("U1")
    _, first = question(fake)
    bodies = [slack.click_body("U1", first, "answer:no") for _ in range(50)]
    started = time.perf_counter()
    replies = await asyncio.gather(*[
        slack.send(b, "application/x-www-form-urlencoded", settle=False) for b in bodies])
    assert {status for status, _ in replies} == {200}
    assert time.perf_counter() - started < 3
    await slack.settle()
    assert len(fake.called("chat.update")) == 1
    asked = [q.text for q in fake.dm("U1") if q.text.startswith("Question")]
    assert len(asked) == 1 and asked[0].startswith("Question 2")  # the first one was updated
    assert ephemerals(fake) == []  # the same button again: nothing to apologise for


async def test_a_click_on_an_answered_question_gets_an_ephemeral_notice(slack, fake) -> None:
    await slack.command("U1")
    _, first = question(fake)
    stale = Posted(first.channel, first.ts, first.text, list(first.blocks))
    await slack.click("U1", first, "answer:no")
    calls = len(fake.calls)
    await slack.click("U1", stale, "answer:fork")
    assert [c.method for c in fake.calls[calls:]] == ["chat.postEphemeral"]
    assert "already been answered" in ephemerals(fake)[-1]
    assert question(fake)[0] == "confidential"


@pytest.mark.parametrize(("name", "timestamp", "secret"), [
    ("bad signature", None, "v0=" + "0" * 64),
    ("signature older than five minutes", int(time.time()) - 600, None)])
async def test_bad_and_old_signatures_are_refused_and_change_nothing(
        slack, fake, name, timestamp, secret) -> None:
    body = slack.command_body("U1")
    headers = slack.sign(body, timestamp)
    if secret is not None:
        headers["X-Slack-Signature"] = secret
    status, _ = await slack.send(body, "application/x-www-form-urlencoded", headers)
    assert status == 401, name
    assert fake.calls == []
    assert await slack.advisor.current(ConversationKey("slack", "T1", "dm", "U1")) is None


# --- the result's actions --------------------------------------------------------------------


async def finish(slack: SlackTestbed, user: str = "U1", channel: str = "C1") -> Posted:
    await slack.command(user, channel=channel)
    await answer(slack, FORK, user)
    return result(slack.fake, user)


async def test_posting_the_summary_names_the_runner_in_the_chosen_channel(slack, fake) -> None:
    final = await finish(slack)
    await slack.click("U1", final, "post_summary", selected="C2")
    posted = [m for m in fake.messages if m.channel == "C2"]
    assert len(posted) == 1 and posted[0].text.startswith("<@U1> ran an opensource-check")
    assert "Posted the summary to <#C2>" in ephemerals(fake)[-1]


async def test_the_summary_goes_to_the_remembered_channel_by_default(slack, fake) -> None:
    final = await finish(slack, channel="C7")
    await slack.click("U1", final, "post_summary")
    assert [m.channel for m in fake.messages if m.channel.startswith("C")] == ["C7"]


@pytest.mark.parametrize(("error", "advice"), [
    ("not_in_channel", "/invite @opensource-check"), ("channel_not_found", "/invite"),
    ("is_archived", "is archived")])
async def test_a_channel_the_bot_cannot_post_in_is_explained_and_nothing_is_lost(
        slack, fake, error, advice) -> None:
    final = await finish(slack)
    fake.fail("chat.postMessage", error, when=lambda p: p["channel"] == "C9")
    await slack.click("U1", final, "post_summary", selected="C9")
    assert advice in ephemerals(fake)[-1] and "Nothing is lost" in ephemerals(fake)[-1]
    await slack.click("U1", final, "post_summary", selected="C9")
    assert [m.channel for m in fake.messages if m.channel == "C9"] == ["C9"]


async def test_only_the_runner_can_post_the_summary(slack, fake) -> None:
    final = await finish(slack)
    await slack.click("U2", final, "post_summary", selected="C2")
    assert not [m for m in fake.messages if m.channel == "C2"]
    assert "Only <@U1>" in ephemerals(fake, "U2")[-1]


async def test_remind_me_schedules_a_message_within_slacks_limit(slack, fake) -> None:
    final = await finish(slack)
    await slack.click("U1", final, "remind")
    scheduled = fake.called("chat.scheduleMessage")[-1].params
    assert scheduled["channel"] == "DU1"
    assert int(scheduled["post_at"]) <= time.time() + 120 * 86400
    assert "Slack schedules at most 120 days ahead" in ephemerals(fake)[-1]


async def test_the_reminder_re_arms_itself_for_the_due_day(slack, fake) -> None:
    await finish(slack)
    await slack.click("U1", result(fake), "remind")
    first = fake.called("chat.scheduleMessage")[-1].params
    assert "Remind me on the day" in json.dumps(first["blocks"])  # six months > Slack's 120 days
    due = int(time.time()) + 3 * 86400  # as if the scheduled message arrived 3 days early
    delivered = json.loads(json.dumps(first["blocks"]).replace(
        next(e["value"] for b in first["blocks"] for e in b.get("elements", [])
             if e["action_id"] == "remind_at"), str(due)))
    await slack.click("U1", Posted("DU1", "1700009999.000100", first["text"], delivered),
                      "remind_at")
    again = fake.called("chat.scheduleMessage")[-1].params
    assert int(again["post_at"]) == due
    assert "Remind me on the day" not in json.dumps(again["blocks"])


async def test_start_over_begins_a_new_check(slack, fake) -> None:
    final = await finish(slack)
    await slack.click("U1", final, "start_over")
    assert question(fake)[0] == "upstream"


# --- commands, App Home ---------------------------------------------------------------------


async def test_help_and_unknown_text_answer_with_the_help(slack) -> None:
    for text in ("help", "what is this"):
        status, body = await slack.command("U1", text)
        assert status == 200 and "history" in body and "restart" in body


async def test_history_lists_the_users_recent_results(slack, fake) -> None:
    await finish(slack)
    await slack.command("U1", "history")
    reply = fake.responses[-1]
    assert reply["response_type"] == "ephemeral" and "Contribute upstream" in reply["text"]


async def test_app_home_shows_recent_checks_and_a_start_button(slack, fake) -> None:
    await finish(slack)
    event = {"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "home"}
    status, _ = await slack.send(slack.event_body(event, "EvHome"), "application/json")
    assert status == 200
    view = fake.called("views.publish")[-1].params["view"]
    assert view["type"] == "home"
    assert "Contribute upstream" in json.dumps(view)
    assert any(e.get("action_id") == "home_start" for b in view["blocks"]
               for e in b.get("elements", []))


# --- rate limits, OAuth, configuration, logs ------------------------------------------------


async def test_a_429_is_retried_after_retry_after_and_then_succeeds(slack, fake) -> None:
    fake.fail("chat.postMessage", status=429, retry_after=1)
    started = time.perf_counter()
    await slack.command("U1")
    assert time.perf_counter() - started >= 1
    assert question(fake)[0] == "upstream"


def oauth_settings(fake: FakeSlack, tmp_path: Path) -> Settings:
    return slack_settings(fake, tmp_path, slack_bot_token=None, slack_client_id="111.222",
                          slack_client_secret="client-secret", encryption_key=generate_key())


async def install_second_workspace(bed: SlackTestbed) -> None:
    """Install the app into T2 as its admin would: /slack/install, then Slack's redirect."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{bed.url}/slack/install") as page:
            state = re.search(r"state=([\w-]+)", await page.text())
        assert state is not None
        cookie = {"Cookie": f"slack-app-oauth-state={state.group(1)}"}
        async with http.get(f"{bed.url}/slack/oauth_redirect",
                            params={"code": "c0de", "state": state.group(1)},
                            headers=cookie) as done:
            assert done.status == 200


async def installations(bed: SlackTestbed) -> dict[str, str]:
    assert bed.advisor is not None
    return await bed.advisor.store.get_records("slack.bot", "installations")


# slack_sdk builds aiohttp.BasicAuth for oauth.v2.access, which aiohttp 3.14 deprecates.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_oauth_install_then_the_second_workspace_uses_its_own_token(
        fake, tmp_path) -> None:
    bed = SlackTestbed(fake, oauth_settings(fake, tmp_path))
    await bed.start()
    try:
        await install_second_workspace(bed)
        assert fake.called("oauth.v2.access")
        stored = await installations(bed)
        assert "xoxb-T2-token" not in json.dumps(stored)  # encrypted at rest
        await bed.command("U5", team="T2")
        assert {c.token for c in fake.called("chat.postMessage")} == {"xoxb-T2-token"}
        assert question(fake, "U5")[0] == "upstream"
    finally:
        await bed.stop()


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
@pytest.mark.parametrize("event", [
    {"type": "app_uninstalled"},
    {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}},
])
async def test_uninstalling_or_revoking_deletes_the_workspace_token(
        fake, tmp_path, event) -> None:
    bed = SlackTestbed(fake, oauth_settings(fake, tmp_path))
    await bed.start()
    try:
        await install_second_workspace(bed)
        assert len(await installations(bed)) == 1
        status, _ = await bed.send(bed.event_body(event, "EvGone", team="T2"),
                                   "application/json")
        assert status == 200
        assert await installations(bed) == {}
    finally:
        await bed.stop()


async def test_uninstalling_a_single_workspace_app_is_acknowledged_and_logged(
        slack, caplog) -> None:
    status, _ = await slack.send(slack.event_body({"type": "app_uninstalled"}, "EvGone"),
                                 "application/json")
    assert status == 200  # acked, so Slack does not retry
    assert "SLACK_BOT_TOKEN no longer works" in caplog.text


async def test_socket_mode_connects_out_and_serves_the_command_without_an_http_route(
        fake, tmp_path) -> None:
    settings = slack_settings(fake, tmp_path, slack_signing_secret=None,
                              slack_app_token="xapp-1-A1-test")
    bed = SlackTestbed(fake, settings)
    await bed.start()
    try:
        command = dict(parse_qsl(bed.command_body("U1")))
        ack = await fake.deliver({"envelope_id": "env-1", "type": "slash_commands",
                                  "accepts_response_payload": True, "payload": command})
        assert ack["envelope_id"] == "env-1" and "direct messages" in ack["payload"]["text"]
        await bed.settle()
        assert question(fake)[0] == "upstream"
        async with aiohttp.ClientSession() as http, http.post(
                f"{bed.url}/slack/events", data="x") as response:
            assert response.status == 404
    finally:
        await bed.stop()


@pytest.mark.parametrize(("values", "names"), [
    ({"slack_signing_secret": "s"}, "SLACK_BOT_TOKEN"),
    ({"slack_bot_token": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    ({"slack_bot_token": "xoxb-1", "slack_signing_secret": "s", "slack_client_id": "1"},
     "not both"),
    ({"slack_signing_secret": "s", "slack_client_id": "1"}, "SLACK_CLIENT_SECRET"),
    ({"slack_bot_token": "xoxp-1", "slack_signing_secret": "s"}, "xoxb-"),
])
def test_missing_or_contradictory_settings_name_the_setting_to_set(values, names) -> None:
    with pytest.raises(ConfigurationError, match=names):
        check_settings(Settings(_env_file=None, **values))  # type: ignore[call-arg]


async def test_tokens_never_appear_in_logs(slack, fake, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    await finish(slack)
    assert "xoxb-T1-token" not in caplog.text


# --- the manifest ---------------------------------------------------------------------------


def test_the_manifest_validates_and_asks_for_exactly_the_scopes_the_code_uses() -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text())
    schema = json.loads((ROOT / "tests/schemas/slack-app-manifest.v1.schema.json").read_text())
    jsonschema.validate(manifest, schema)
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    command = manifest["features"]["slash_commands"][0]
    assert command["command"] == "/opensource-check" and command["usage_hint"]
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "message.im", "app_home_opened", "app_uninstalled", "tokens_revoked",
        "function_executed"}
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_the_manifest_declares_org_deploy_rotation_the_step_and_the_shortcut() -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text())
    settings = manifest["settings"]
    assert settings["org_deploy_enabled"] is True and settings["token_rotation_enabled"] is True
    assert settings["function_runtime"] == "remote"
    assert set(manifest["functions"]) == {CALLBACK_ID}
    assert manifest["features"]["shortcuts"] == [
        {"name": "Run an opensource-check", "type": "global", "callback_id": SHORTCUT,
         "description": manifest["features"]["shortcuts"][0]["description"]}]
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]  # shortcuts need it


async def test_obligations_by_ticking_boxes_and_pressing_continue(slack, fake) -> None:
    await slack.command("U1")
    await answer(slack, FORK[:4])
    asked, message = question(fake)
    assert asked == "obligations"
    await slack.click("U1", message, "answer:encryption+copyleft")  # state.values, then Continue
    assert question(fake)[0] == "ownership"
    assert message.text.endswith("It implements or ships cryptography, Includes or links GPL, "
                                 "AGPL or similar code")
    _, ownership = question(fake)
    await slack.click("U1", ownership, "back")
    _, again = question(fake)
    ticks = next(e for b in again.blocks for e in b.get("elements", [])
                 if e["type"] == "checkboxes")
    assert [o["value"] for o in ticks["initial_options"]] == ["encryption", "copyleft"]


async def test_continue_with_nothing_ticked_means_none_and_a_refusal_re_prompts(
        slack, fake) -> None:
    await slack.command("U1")
    await answer(slack, FORK[:4])
    _, message = question(fake)
    await slack.click("U1", message, "answer:none+encryption")  # refused: asked again
    assert question(fake)[0] == "obligations"
    assert "none" in fake.dm("U1")[-1].text.lower()
    _, message = question(fake)
    await slack.click("U1", message, "answer:")  # nothing ticked
    assert question(fake)[0] == "ownership"
    assert message.text.endswith("None of these")
