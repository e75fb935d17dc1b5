"""The Teams bot end to end: activities POSTed to the real server, a fake Bot Connector behind it.

Every card the bot sends or updates is validated against the Adaptive Card 1.5 schema when each
test ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import jsonschema
import pytest
from aiohttp import web

from bot.platforms.teams import CONNECTOR, NOT_YOURS
from bot.platforms.teams.connector import ConnectorError
from bot.server import BACKGROUND
from bot.settings import Settings
from tests.e2e.teams_harness import (
    SDKS,
    TEAM,
    TeamsHarness,
    path_of,
    personal_chat,
    question_of,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "schemas"
CARD_SCHEMA = json.loads((SCHEMAS / "adaptive-card.v1.5.schema.json").read_text())
FORK = [("upstream", "fork"), ("upstream_health", "active"), ("confidential", "none"),
        ("differentiator", "no"), ("obligations", "none"), ("ownership", "yes"),
        ("entities", "one")]  # obligations: the multi-select, "none" ticked
CHANNEL = {"id": "19:design@thread.tacv2", "name": "Design"}


def assert_valid_cards(harness: TeamsHarness) -> None:
    validator = jsonschema.Draft6Validator(CARD_SCHEMA)
    for message in harness.connector.messages:
        if message.card is not None:
            validator.validate(message.card)


@pytest.fixture(params=SDKS)
def sdk(request: pytest.FixtureRequest) -> str:
    """Every test of this module runs on the Microsoft 365 Agents SDK and on botbuilder."""
    return str(request.param)


@pytest.fixture
async def bot(tmp_path: Path, sdk: str) -> AsyncIterator[TeamsHarness]:
    async with TeamsHarness(tmp_path, sdk) as harness:
        yield harness
        assert_valid_cards(harness)


async def answer(bot: TeamsHarness, user: str, script: list[tuple[str, str]]) -> None:
    for question, option in script:
        card = bot.open_card(user)
        assert card is not None and question_of(card) == question
        await bot.submit(user, card, bot.button(card, option))


def texts(bot: TeamsHarness, user: str) -> list[str]:
    return [m.text for m in bot.chat(user) if m.text]


def result_card(bot: TeamsHarness, user: str) -> dict[str, object]:
    found = [m.card for m in bot.chat(user) if m.card and path_of(m)]
    assert found, "no result card"
    return found[-1]


# --- personal chat ---------------------------------------------------------------------------

async def test_a_whole_check_by_card_clicks_closes_each_card_and_ends_with_a_result(bot) -> None:
    assert await bot.say("U1", "hello") == 202
    await answer(bot, "U1", FORK)
    assert bot.open_card("U1") is None
    questions = [m for m in bot.chat("U1") if m.card and m.updates]
    assert len(questions) == len(FORK)
    closed = questions[0].card
    assert closed is not None and "actions" not in closed
    assert closed["body"][1]["text"].startswith("\u2714")
    assert path_of(bot.chat("U1")[-1]) == "contribute_upstream"


async def test_a_whole_check_by_typed_answers_updates_the_cards_too(bot) -> None:
    await bot.say("U1", "start")
    for typed in ["1", "active", "No, nothing confidential", "no", "1, 3", "yes", "1"]:
        await bot.say("U1", typed)
    assert path_of(bot.chat("U1")[-1]) == "contribute_upstream"
    assert [m.updates for m in bot.chat("U1") if m.card][:7] == [1] * 7


async def test_each_question_card_has_progress_why_we_ask_and_cancel(bot) -> None:
    await bot.say("U1", "start")
    card = bot.open_card("U1")
    assert card is not None and card.card is not None
    body = json.dumps(card.card)
    assert "Question 1 of up to" in body and "Why we ask" in body
    assert bot.button(card, action="cancel")["owner"] == "U1"


async def test_back_reopens_the_previous_question(bot) -> None:
    await bot.say("U1", "start")
    await answer(bot, "U1", FORK[:1])
    card = bot.open_card("U1")
    assert card is not None
    await bot.submit("U1", card, bot.button(card, action="back"))
    reopened = bot.open_card("U1")
    assert reopened is not None and question_of(reopened) == "upstream"


async def test_restart_starts_over_and_cancel_closes_the_card(bot) -> None:
    await bot.say("U1", "start")
    await answer(bot, "U1", FORK[:2])
    await bot.say("U1", "restart")
    card = bot.open_card("U1")
    assert card is not None and question_of(card) == "upstream"
    await bot.submit("U1", card, bot.button(card, action="cancel"))
    assert bot.open_card("U1") is None
    assert "Check cancelled" in texts(bot, "U1")[-1]


async def test_cancel_with_no_check_running_starts_nothing(bot) -> None:
    await bot.say("U1", "cancel")
    assert bot.open_card("U1") is None
    assert texts(bot, "U1") == ["No check is running. Type start to begin one."]


async def test_a_check_resumes_where_it_was_after_the_server_restarts(bot) -> None:
    await bot.say("U1", "start")
    await answer(bot, "U1", FORK[:2])
    await bot.restart()
    await bot.say("U1", "hi")
    assert "unfinished check" in texts(bot, "U1")[-1]
    asked_again = [m for m in bot.chat("U1") if m.card and not m.updates]
    assert len(asked_again) == 1  # the old card of the same question lost its buttons
    await answer(bot, "U1", FORK[2:])
    assert path_of(bot.chat("U1")[-1]) == "contribute_upstream"


async def test_help_and_history_answer_in_the_chat(bot) -> None:
    await bot.say("U1", "help")
    assert "opensource-check" in texts(bot, "U1")[-1]
    await bot.say("U1", "history")
    assert "no completed checks" in texts(bot, "U1")[-1]
    await bot.say("U1", "start")
    await answer(bot, "U1", FORK)
    await bot.say("U1", "history")
    assert "Contribute upstream" in texts(bot, "U1")[-1]


# --- reliability -----------------------------------------------------------------------------

async def test_the_same_activity_delivered_twice_advances_once(bot) -> None:
    await bot.say("U1", "start")
    card = bot.open_card("U1")
    assert card is not None
    click = bot.activity("U1", {"id": personal_chat("U1"), "conversationType": "personal",
                                "tenantId": "T1"}, value=bot.button(card, "fork"),
                         replyToId=card.id)
    await bot.post(click)
    await bot.post(click)
    cards = [m for m in bot.chat("U1") if m.card]
    assert [question_of(m) for m in cards if m.updates == 0] == ["upstream_health"]
    assert len(bot.chat("U1")) == 3  # intro, the closed first card, the second question


async def test_a_double_click_answers_once_and_says_so(bot) -> None:
    await bot.say("U1", "start")
    card = bot.open_card("U1")
    assert card is not None
    fork, no = bot.button(card, "fork"), bot.button(card, "no")  # before the card is closed
    await bot.submit("U1", card, fork)
    await bot.submit("U1", card, no)
    assert "already been answered" in texts(bot, "U1")[-1]
    second = bot.open_card("U1")
    assert second is not None and question_of(second) == "upstream_health"


async def test_a_double_click_on_the_same_button_stays_silent(bot) -> None:
    await bot.say("U1", "start")
    card = bot.open_card("U1")
    assert card is not None
    fork = bot.button(card, "fork")
    await bot.submit("U1", card, fork)
    said = len(bot.chat("U1"))
    await bot.submit("U1", card, fork)
    assert len(bot.chat("U1")) == said  # nothing posted
    second = bot.open_card("U1")
    assert second is not None and question_of(second) == "upstream_health"


async def test_obligations_by_the_multi_select_and_typed_numbers(bot) -> None:
    await bot.say("U1", "start")
    await answer(bot, "U1", FORK[:4])
    card = bot.open_card("U1")
    assert card is not None and card.card is not None
    [choices] = [e for e in card.card["body"] if e.get("type") == "Input.ChoiceSet"]
    assert choices["isMultiSelect"] is True and len(choices["choices"]) == 9
    await bot.submit("U1", card, bot.button(card, "encryption+secrets"))  # "encryption,secrets"
    assert question_of(bot.open_card("U1")) == "ownership"  # type: ignore[arg-type]
    assert card.card["body"][1]["text"].startswith("\u2714 It implements")
    await bot.say("U1", "back")
    again = bot.open_card("U1")
    assert again is not None and again.card is not None
    [choices] = [e for e in again.card["body"] if e.get("type") == "Input.ChoiceSet"]
    assert choices["value"] == "encryption,secrets"  # the earlier selection, ticked
    await bot.say("U1", "unsure, 1")
    assert "unsure" in texts(bot, "U1")[-1].lower() or "nobody" in texts(bot, "U1")[-1].lower()
    await bot.say("U1", "3 7")
    assert question_of(bot.open_card("U1")) == "ownership"  # type: ignore[arg-type]
    assert_valid_cards(bot)


async def test_concurrent_clicks_advance_the_check_once(bot) -> None:
    await bot.say("U1", "start")
    card = bot.open_card("U1")
    assert card is not None
    buttons = [bot.button(card, option) for option in ("fork", "no", "overlaps", "fork")]
    await asyncio.gather(*(bot.submit("U1", card, data) for data in buttons))
    fresh = [m for m in bot.chat("U1") if m.card and m.updates == 0]
    assert [question_of(m) for m in fresh] in (["upstream_health"], ["confidential"])
    # the other options are told politely; the second click of the winner, if fork, is silent
    assert sum("already been answered" in t for t in texts(bot, "U1")) in (2, 3)


async def test_a_stale_card_answers_with_a_notice_and_changes_nothing(bot) -> None:
    await bot.say("U1", "start")
    first = bot.open_card("U1")
    assert first is not None
    old_button = bot.button(first, "fork")
    await bot.say("U1", "restart")
    await bot.submit("U1", first, old_button)
    assert "already been answered" in texts(bot, "U1")[-1]
    card = bot.open_card("U1")
    assert card is not None and question_of(card) == "upstream"


# --- channels --------------------------------------------------------------------------------

async def test_a_mention_in_a_channel_asks_the_questions_in_the_personal_chat(bot) -> None:
    await bot.post(bot.in_channel("U1", "opensource-check"))
    assert bot.connector.created[0]["members"][0]["id"] == "29:U1"
    card = bot.open_card("U1")
    assert card is not None and question_of(card) == "upstream"
    channel = bot.connector.in_conversation(TEAM["id"])
    assert [m.text for m in channel] == ["I have sent you the questions in our personal chat."]


async def test_without_a_personal_chat_the_questions_go_to_the_thread(bot) -> None:
    bot.connector.personal_status = 403
    await bot.post(bot.in_channel("U1", "opensource-check"))
    thread = bot.connector.in_conversation(TEAM["id"])
    assert any(m.card for m in thread)
    assert all(m.activity.get("replyToId") for m in thread)


async def test_someone_elses_click_is_refused_and_changes_nothing(bot) -> None:
    bot.connector.personal_status = 403
    await bot.post(bot.in_channel("U1", "opensource-check"))
    card = next(m for m in bot.connector.in_conversation(TEAM["id"]) if m.card)
    await bot.submit("U2", card, bot.button(card, "fork"))
    thread = bot.connector.in_conversation(TEAM["id"])
    assert thread[-1].text == NOT_YOURS
    assert card.updates == 0
    await bot.submit("U1", card, bot.button(card, "fork"))
    assert card.updates == 1


# --- summaries to channels -------------------------------------------------------------------

async def finish_with_channels(bot: TeamsHarness) -> None:
    await bot.post(bot.installed())
    await bot.post(bot.installed(CHANNEL, event="channelCreated"))
    await bot.say("U1", "start")
    await answer(bot, "U1", FORK)


async def test_the_result_offers_the_channels_the_bot_is_installed_in(bot) -> None:
    await finish_with_channels(bot)
    choices = next(e for e in result_card(bot, "U1")["body"]  # type: ignore[attr-defined]
                   if e["type"] == "Input.ChoiceSet")["choices"]
    assert [c["title"] for c in choices] == ["Platform \u203a Design", "Platform \u203a General"]


async def test_posting_the_summary_sends_a_card_to_the_channel(bot) -> None:
    await finish_with_channels(bot)
    result = [m for m in bot.chat("U1") if path_of(m)][-1]
    await bot.submit("U1", result, {**bot.button(result, action="post"), "channel": CHANNEL["id"]})
    posted = bot.connector.in_conversation(CHANNEL["id"])
    assert len(posted) == 1 and path_of(posted[0]) == "contribute_upstream"
    assert "User U1 ran an opensource-check" in json.dumps(posted[0].card)
    assert texts(bot, "U1")[-1] == "Posted the summary to Platform \u203a Design."


async def test_a_double_click_on_post_summary_posts_once_and_says_so(bot) -> None:
    await finish_with_channels(bot)
    result = [m for m in bot.chat("U1") if path_of(m)][-1]
    click = {**bot.button(result, action="post"), "channel": CHANNEL["id"]}
    await bot.submit("U1", result, click)
    await bot.submit("U1", result, click)  # the same button again: a new activity id
    assert len(bot.connector.in_conversation(CHANNEL["id"])) == 1
    assert "a moment ago" in texts(bot, "U1")[-1]


async def test_someone_outside_the_team_is_not_offered_its_channels_nor_may_post_there(
        bot) -> None:
    bot.connector.outsiders.add("29:U1")  # Teams' roster does not list U1 in the team
    await finish_with_channels(bot)
    card = json.dumps(result_card(bot, "U1"))
    assert "Design" not in card and "Add me to a team" in card
    result = [m for m in bot.chat("U1") if path_of(m)][-1]
    forged = {"ocb": "post", "owner": "U1", "answers": dict(FORK), "channel": CHANNEL["id"]}
    await bot.submit("U1", result, forged)
    assert bot.connector.in_conversation(CHANNEL["id"]) == []
    assert texts(bot, "U1")[-1] == "You can only post to channels of teams you are a member of."


async def test_a_display_name_cannot_plant_a_link_in_the_channel_summary(bot) -> None:
    await finish_with_channels(bot)
    result = [m for m in bot.chat("U1") if path_of(m)][-1]
    click = bot.activity("U1", {"id": personal_chat("U1"), "conversationType": "personal",
                                "tenantId": "T1"}, replyToId=result.id,
                         value={**bot.button(result, action="post"), "channel": CHANNEL["id"]})
    click["from"]["name"] = "[Reset your password](https://evil.example/login) **IT**"
    await bot.post(click)
    posted = json.dumps(bot.connector.in_conversation(CHANNEL["id"])[0].card)
    assert "](https://evil.example" not in posted and "**IT**" not in posted
    assert "Reset your password" in posted


async def test_history_shows_only_the_checks_of_the_tenant_asked_from(bot) -> None:
    await bot.say("U1", "start")
    await answer(bot, "U1", FORK)
    elsewhere = bot.personal("U1", text="history")
    elsewhere["conversation"] = {**elsewhere["conversation"], "tenantId": "T2"}
    elsewhere["channelData"] = {"tenant": {"id": "T2"}}
    await bot.post(elsewhere)
    assert "no completed checks" in texts(bot, "U1")[-1]
    await bot.say("U1", "history")
    assert "Contribute upstream" in texts(bot, "U1")[-1]


async def test_anonymous_mode_refuses_activities_from_channels_other_than_teams(bot) -> None:
    activity = {**bot.personal("U1", text="start"), "channelId": "slack"}
    assert await bot.post(activity) == 400
    assert bot.connector.messages == []
    playground = {**bot.personal("U1", text="help"), "channelId": "emulator"}
    assert await bot.post(playground) == 202


@pytest.mark.parametrize(("status", "reason"), [(403, "no longer a member"),
                                                (404, "no longer exists")])
async def test_a_failed_post_is_explained_and_loses_nothing(bot, status, reason) -> None:
    await finish_with_channels(bot)
    bot.connector.fail[CHANNEL["id"]] = status
    result = [m for m in bot.chat("U1") if path_of(m)][-1]
    await bot.submit("U1", result, {**bot.button(result, action="post"), "channel": CHANNEL["id"]})
    assert reason in texts(bot, "U1")[-1] and "still here" in texts(bot, "U1")[-1]
    assert result.updates == 0
    await bot.submit("U1", result, {**bot.button(result, action="post"), "channel": TEAM["id"]})
    assert len(bot.connector.in_conversation(TEAM["id"])) == 1


async def test_channel_references_survive_a_restart_and_removal_forgets_them(bot) -> None:
    await bot.post(bot.installed())
    await bot.restart()
    assert await bot.advisor.store.get_records("teams.channel", "T1")
    await bot.post(bot.installed(action="remove"))
    assert await bot.advisor.store.get_records("teams.channel", "T1") == {}


async def test_a_deleted_channel_is_forgotten(bot) -> None:
    await bot.post(bot.installed(CHANNEL, event="channelCreated"))
    await bot.post(bot.installed(CHANNEL, event="channelDeleted"))
    assert await bot.advisor.store.get_records("teams.channel", "T1") == {}


# --- hosting ---------------------------------------------------------------------------------

@pytest.fixture
async def registered_bot(tmp_path: Path, sdk: str) -> AsyncIterator[TeamsHarness]:
    async with TeamsHarness(tmp_path, sdk, microsoft_app_id="00000000-0000-0000-0000-000000000001",
                            microsoft_app_password="not-a-real-secret") as harness:
        yield harness


@pytest.mark.parametrize("header", [None, "Bearer not.a.token"])
async def test_with_an_app_id_requests_without_a_valid_token_get_401(registered_bot,
                                                                     header) -> None:
    headers = {"Authorization": header} if header else None
    assert await registered_bot.post(registered_bot.personal("U1", text="start"), headers) == 401
    assert registered_bot.connector.messages == []


@pytest.mark.parametrize("body", [{}, {"type": "message"}])
async def test_something_that_is_not_an_activity_gets_400(bot, body) -> None:
    assert await bot.post(body) == 400


async def test_local_anonymous_mode_is_announced_at_start_up(tmp_path, sdk, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        async with TeamsHarness(tmp_path, sdk):
            pass
    assert "local anonymous mode" in caplog.text


async def test_connector_clients_are_built_once_per_service_url(bot, sdk) -> None:
    await bot.say("U1", "start")
    await bot.say("U1", "1")
    await bot.say("U2", "start")
    assert bot.app is not None
    connector = bot.app[CONNECTOR]
    assert connector.sdk == sdk
    assert list(connector._clients) == [bot.connector.url]


async def test_reused_connector_clients_are_bounded(bot) -> None:
    assert bot.app is not None
    connector = bot.app[CONNECTOR]
    for number in range(70):  # the fake answers 404 under these prefixes
        with contextlib.suppress(ConnectorError):
            await connector.send(f"{bot.connector.url}region{number}/", "c1",
                                 {"type": "message", "text": "hello"})
    assert len(connector._clients) == 64


async def test_tokens_and_the_app_password_never_reach_the_logs(registered_bot, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        await registered_bot.post(registered_bot.personal("U1", text="start"),
                                  {"Authorization": "Bearer secret.token.value"})
    assert "secret.token.value" not in caplog.text
    assert "not-a-real-secret" not in caplog.text


async def test_the_composition_root_serves_teams_alone_without_slack_settings(tmp_path) -> None:
    from bot.bootstrap import build_app  # noqa: PLC0415

    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'b.db'}")
    runner = web.AppRunner(await build_app(settings, teams=True))
    await runner.setup()  # cleanup closes the store, as serve does at shutdown
    try:
        routes = runner.app.router.routes()
        paths = {r.resource.canonical for r in routes if r.resource is not None}
        assert "/api/messages" in paths and not any(p.startswith("/slack") for p in paths)
    finally:
        await runner.cleanup()


SDK_MODULES = "('botbuilder', 'botframework', 'microsoft_agents')"


def test_building_the_teams_package_imports_no_teams_sdk(tmp_path) -> None:
    code = ("import sys; from bot.cli import main; "
            f"main(['teams-package', '--app-id', '{'1' * 8}-1111-1111-1111-{'1' * 12}', "
            f"'--output', r'{tmp_path / 'a.zip'}']); "
            f"assert not [m for m in sys.modules if m.startswith({SDK_MODULES})]")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_a_slack_only_server_imports_no_teams_sdk(tmp_path) -> None:
    code = ("import asyncio, sys\n"
            "from bot.bootstrap import build_app\n"
            "from bot.settings import Settings\n"
            f"s = Settings(_env_file=None, database_url=r'sqlite:///{tmp_path / 's.db'}', "
            "slack_bot_token='xoxb-1', slack_signing_secret='s')\n"
            "asyncio.run(build_app(s))\n"
            f"assert not [m for m in sys.modules if m.startswith({SDK_MODULES})], 'SDK imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize("chosen", SDKS)
def test_teams_on_one_sdk_never_imports_the_other(tmp_path, chosen) -> None:
    other = {"agents": "('botbuilder', 'botframework')", "botbuilder": "('microsoft_agents',)"}
    code = ("import asyncio, sys\n"
            "from bot.bootstrap import build_app\n"
            "from bot.settings import Settings\n"
            f"s = Settings(_env_file=None, database_url=r'sqlite:///{tmp_path / 's.db'}', "
            f"teams_sdk='{chosen}')\n"
            "asyncio.run(build_app(s, teams=True))\n"
            f"assert not [m for m in sys.modules if m.startswith({other[chosen]})]\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


async def test_stuck_bot_connector_calls_never_block_healthz_or_dns_lookups(bot) -> None:
    silent = socket.socket()  # a Bot Connector that accepts connections and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    stuck_url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
    assert bot.app is not None
    try:
        async with aiohttp.ClientSession() as http:
            for number in range(12):  # more than the default executor's threads
                activity = {**bot.personal(f"S{number}", text="start"), "serviceUrl": stuck_url}
                async with http.post(bot.url, json=activity) as response:
                    assert response.status == 202
            await asyncio.sleep(0.5)  # let every turn reach its stuck call
            loop = asyncio.get_running_loop()
            assert await loop.getaddrinfo("localhost", 80)  # runs in the default executor
            async with http.get(bot.url.removesuffix("/api/messages") + "/healthz") as health:
                assert health.status == 200
            assert len(bot.app[BACKGROUND]) == 12  # the turns still wait on the connector
    finally:
        for task in list(bot.app[BACKGROUND]):
            task.cancel()
        silent.close()
