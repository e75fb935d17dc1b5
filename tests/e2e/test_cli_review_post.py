"""`review request` in the terminal posts the review card to the policy's Slack channel: the real
command in a subprocess, the local fake Slack Web API over real HTTP."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.platforms.slack.review import CARDS
from bot.platforms.teams.channels import CHANNEL
from bot.platforms.teams.connector import Credentials
from bot.platforms.teams.review import CARDS as TEAMS_CARDS
from bot.settings import Settings
from bot.store.factory import create_store
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.fake_slack import FakeSlack
from tests.unit.test_cli import ANSWERS, run

REVIEW_CHANNEL = "CREVIEW"
TEAMS_CHANNEL = "19:ospo@thread.tacv2"
TOKEN = "xoxb-T1-token"  # the fake's workspace T1
EVERY_PATH = ("[keep_closed, innersource, innersource_first, open_source, partner_source, "
              "contribute_upstream]")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A store and a policy of the test's own; no Slack or Teams settings from the machine."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"slack: {{channel: {REVIEW_CHANNEL}}}\nreview: {{paths: {EVERY_PATH}}}\n")
    kept = {k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "MICROSOFT_", "REDIS_", "POLICY_", "ALLOWED_"))}
    return {**kept, "DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}",
            "POLICY_FILE": str(policy)}


async def finished_check(env: dict[str, str]) -> str:
    done = await asyncio.to_thread(run, "chat", stdin="\n".join(["2", *ANSWERS]) + "\n",
                                   env=env)
    assert done.returncode == 0, done.stderr
    history = await asyncio.to_thread(run, "history", env=env)
    return next(csv.DictReader(io.StringIO(history.stdout)))["check_id"]


async def request(env: dict[str, str], check: str) -> tuple[int, str]:
    done = await asyncio.to_thread(run, "review", "request", "--check", check, "--name",
                                   "payments-lib", env=env)
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout + done.stderr


async def card_record(env: dict[str, str], review_id: str) -> str | None:
    store = create_store(Settings(_env_file=None, database_url=env["DATABASE_URL"]))
    try:
        return (await store.get_records(CARDS, review_id)).get("card")
    finally:
        await store.close()


async def test_review_request_posts_the_card_with_the_workspaces_bot_token(
        fake: FakeSlack, env: dict[str, str]) -> None:
    env = {**env, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.api_url}
    check = await finished_check(env)
    code, said = await request(env, check)
    assert code == 0, said
    assert f"Slack: posted the review card to channel {REVIEW_CHANNEL}." in said
    [posted] = fake.called("chat.postMessage")
    assert posted.token == TOKEN and posted.params["channel"] == REVIEW_CHANNEL
    [card] = [m for m in fake.messages if m.channel == REVIEW_CHANNEL]
    assert "payments-lib" in str(card.blocks)
    review_id = said.split()[1]
    assert await card_record(env, review_id) == f"{REVIEW_CHANNEL}|{card.ts}"  # for the update
    code, again = await request(env, check)  # once: a second request posts nothing
    assert code == 0 and "already in channel" in again
    assert len(fake.called("chat.postMessage")) == 1


async def test_without_a_bot_token_the_request_is_recorded_and_says_how_to_post(
        fake: FakeSlack, env: dict[str, str]) -> None:
    check = await finished_check(env)
    code, said = await request(env, check)
    assert code == 0, said
    assert f"Slack: not posted to channel {REVIEW_CHANNEL}: set SLACK_BOT_TOKEN" in said
    assert "The request is recorded" in said and "App Home" in said and "reviews" in said
    assert not fake.calls
    env = {**env, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.api_url}
    code, said = await request(env, check)  # configured later: the card goes out then
    assert code == 0 and "posted the review card" in said
    assert len(fake.called("chat.postMessage")) == 1


async def test_a_refused_post_is_explained_and_the_request_kept(
        fake: FakeSlack, env: dict[str, str]) -> None:
    env = {**env, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.api_url}
    check = await finished_check(env)
    fake.fail("chat.postMessage", "not_in_channel")
    code, said = await request(env, check)
    assert code == 0, said
    assert f"could not post it in channel {REVIEW_CHANNEL} (not_in_channel)" in said
    assert "/invite" in said and "The request is recorded" in said
    listed = await asyncio.to_thread(run, "reviews", env=env)
    assert "payments-lib" in listed.stdout


async def test_teams_without_credentials_says_what_to_set(tmp_path: Path,
                                                          env: dict[str, str]) -> None:
    policy = tmp_path / "teams.yaml"
    policy.write_text(f"teams: {{channel: '{TEAMS_CHANNEL}'}}\nreview: {{paths: {EVERY_PATH}}}\n")
    env = {**env, "POLICY_FILE": str(policy)}
    check = await finished_check(env)
    code, said = await request(env, check)
    assert code == 0, said
    expected = f"Teams: not posted to channel {TEAMS_CHANNEL}: set MICROSOFT_APP_ID and MICROSOFT"
    assert expected in said
    assert "The request is recorded" in said
    env = {**env, "MICROSOFT_APP_ID": "12345678-1234-1234-1234-123456789abc",
           "MICROSOFT_APP_PASSWORD": "secret"}
    code, said = await request(env, check)
    assert code == 0 and "set MICROSOFT_APP_TENANT_ID (or one tenant in ALLOWED_TENANTS)" in said
    code, said = await request({**env, "ALLOWED_TENANTS": "tenant-1"}, check)
    assert code == 0, said
    assert "the bot has not seen it yet in tenant tenant-1" in said  # no channel reference yet


async def test_teams_posts_the_card_as_a_proactive_message(
        tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The card goes to the channel reference the server kept, through the bot's real Agents
    SDK connector, to the local fake Bot Connector over HTTP. The connector runs without a
    token (as in local anonymous mode): there is no identity provider to fake here."""
    import bot.platforms.teams.connector as connector_module  # noqa: PLC0415

    fake = FakeConnector()
    service_url = await fake.start()
    policy = tmp_path / "teams.yaml"
    policy.write_text(f"teams: {{channel: '{TEAMS_CHANNEL}'}}\nreview: {{paths: {EVERY_PATH}}}\n")
    env = {**env, "POLICY_FILE": str(policy)}
    try:
        check = await finished_check(env)
        store = create_store(Settings(_env_file=None, database_url=env["DATABASE_URL"]))
        reference = {"bot": {"id": "28:bot", "name": "opensource-check"}, "user": {"id": "U1"},
                     "conversation": {"id": TEAMS_CHANNEL, "conversationType": "channel"},
                     "channelId": "msteams", "serviceUrl": service_url}
        try:  # what the server keeps when the app is added to the channel's team
            await store.put_record(CHANNEL, "tenant-1", TEAMS_CHANNEL, json.dumps(
                {"name": "OSPO \u203a Reviews", "team": "19:team", "reference": reference}))
        finally:
            await store.close()
        real_load = connector_module.load
        monkeypatch.setattr(connector_module, "load", lambda sdk, _: real_load(
            sdk, Credentials(app_id=None, password=None, tenant_id=None,
                             app_type="MultiTenant")))
        monkeypatch.chdir(tmp_path)
        for name, value in {**env, "MICROSOFT_APP_ID": "12345678-1234-1234-1234-123456789abc",
                            "MICROSOFT_APP_PASSWORD": "secret",
                            "MICROSOFT_APP_TENANT_ID": "tenant-1"}.items():
            monkeypatch.setenv(name, value)
        code = await asyncio.to_thread(main, ["review", "request", "--check", check, "--name",
                                              "payments-lib"])
        said = capsys.readouterr().out
    finally:
        await fake.close()
    assert code == 0, said
    assert f"Teams: posted the review card to channel {TEAMS_CHANNEL}." in said
    [card] = fake.in_conversation(TEAMS_CHANNEL)
    assert card.card is not None and "payments-lib" in json.dumps(card.card)
    store = create_store(Settings(_env_file=None, database_url=env["DATABASE_URL"]))
    try:  # kept, so the server updates this card when a reviewer decides
        [kept] = (await store.get_records(TEAMS_CARDS, said.split()[1])).values()
    finally:
        await store.close()
    assert json.loads(kept)["id"] == card.id
