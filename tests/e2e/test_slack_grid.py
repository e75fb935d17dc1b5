"""Slack for large companies, end to end: org-wide installs on Enterprise Grid, and rotating tokens
refreshed through the fake Web API's oauth.v2.access (grant_type=refresh_token)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.bootstrap import ConfigurationError
from bot.crypto import TokenCipher
from bot.platforms.slack.app import check_settings
from bot.platforms.slack.oauth import RecordInstallationStore
from bot.settings import Settings
from bot.store.base import ConversationKey
from tests.e2e.slack_testbed import FORM, SlackTestbed, open_question
from tests.e2e.test_slack import install_second_workspace, installations, oauth_settings

FORK = ["fork", "active", "none", "no", "none", "yes", "one"]
# slack_sdk builds aiohttp.BasicAuth for oauth.v2.access, which aiohttp 3.14 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.fixture
async def org(fake, tmp_path) -> AsyncIterator[SlackTestbed]:
    """The app installed org-wide in E1 by its admin, with rotating tokens."""
    fake.oauth_team, fake.oauth_enterprise, fake.rotating = ("T1", "xoxb-E1-token"), "E1", True
    bed = SlackTestbed(fake, oauth_settings(fake, tmp_path))
    await bed.start()
    await install_second_workspace(bed)
    yield bed
    await bed.stop()


def in_org(body: str, enterprise: str = "E1") -> str:
    """A slash command body as Slack sends it from a workspace of an org-wide install."""
    fields = dict(parse_qsl(body))
    fields.update(enterprise_id=enterprise, is_enterprise_install="true")
    return urlencode(fields)


async def command(bed: SlackTestbed, user: str, team: str, text: str = "") -> int:
    status, _ = await bed.send(in_org(bed.command_body(user, text, team=team)), FORM)
    return status


async def click_in_org(bed: SlackTestbed, user: str, option: str, team: str) -> None:
    found = open_question(bed.fake.dm(user))
    assert found is not None, [m.text for m in bed.fake.dm(user)]
    payload = json.loads(dict(parse_qsl(bed.click_body(user, found[1], f"answer:{option}",
                                                        team)))["payload"])
    payload.update(enterprise={"id": "E1"}, is_enterprise_install=True)
    payload["user"]["team_id"] = team
    status, _ = await bed.send(urlencode({"payload": json.dumps(payload)}), FORM)
    assert status == 200


# --- org-wide installs ----------------------------------------------------------------------


async def test_an_org_wide_install_is_stored_once_for_the_organisation(org, fake) -> None:
    stored = await installations(org)
    assert list(stored) == ["E1:-"]
    record = json.loads(stored["E1:-"])
    assert record["is_enterprise_install"] is True and record["enterprise_id"] == "E1"
    assert "xoxb-E1-token" not in json.dumps(stored)
    assert "xoxe-1-refresh" not in json.dumps(stored)  # the refresh token is encrypted too


async def test_a_check_started_in_one_workspace_continues_in_another_of_the_org(
        org, fake) -> None:
    assert await command(org, "U1", "T1") == 200
    await click_in_org(org, "U1", FORK[0], "T1")
    assert await command(org, "U1", "T3") == 200  # the same person, from another workspace
    found = open_question(fake.dm("U1"))
    assert found is not None and found[0] == "upstream_health"  # resumed, not started again
    for option in FORK[1:]:
        await click_in_org(org, "U1", option, "T3")
    assert any(m.text.startswith("Recommendation:") for m in fake.dm("U1"))
    assert {c.token for c in fake.called("chat.postMessage")} == {"xoxb-E1-token"}
    assert org.advisor is not None
    page = await org.advisor.store.history(user_id="U1", workspace="E1", platform="slack")
    assert len(page.entries) == 1
    await command(org, "U1", "T1", "history")
    assert "Contribute upstream" in fake.responses[-1]["text"]


async def test_a_workspace_install_still_works_beside_org_installs(fake, tmp_path) -> None:
    bed = SlackTestbed(fake, oauth_settings(fake, tmp_path))
    await bed.start()
    try:
        await install_second_workspace(bed)
        assert list(await installations(bed)) == ["-:T2"]
        await bed.command("U5", team="T2")
        assert {c.token for c in fake.called("chat.postMessage")} == {"xoxb-T2-token"}
    finally:
        await bed.stop()


async def test_uninstalling_an_org_wide_app_deletes_the_organisations_token(org) -> None:
    event = {"type": "app_uninstalled"}
    body = json.loads(org.event_body(event, "EvGone", team="T1"))
    body.update(enterprise_id="E1", authorizations=[
        {"enterprise_id": "E1", "team_id": None, "is_enterprise_install": True}])
    status, _ = await org.send(json.dumps(body), "application/json")
    assert status == 200
    assert await installations(org) == {}


# --- token rotation -------------------------------------------------------------------------


def test_a_rotating_token_as_the_fixed_bot_token_is_refused_with_what_to_do_instead() -> None:
    settings = Settings(_env_file=None, slack_bot_token="xoxe.xoxb-1-abc",  # type: ignore[call-arg]
                        slack_signing_secret="s")
    with pytest.raises(ConfigurationError, match=r"rotating token.*SLACK_CLIENT_ID"):
        check_settings(settings)


async def expire_stored_token(bed: SlackTestbed, key: str = "E1:-") -> dict[str, object]:
    """Make the stored token due for refresh, as if twelve hours had passed."""
    assert bed.advisor is not None
    record = json.loads((await installations(bed))[key])
    record["bot_token_expires_at"] = int(time.time()) - 60
    await bed.advisor.store.put_record("slack.bot", "installations", key, json.dumps(record))
    return record


async def test_an_expired_token_is_refreshed_before_the_request_is_served(org, fake) -> None:
    await expire_stored_token(org)
    fake.expire("xoxb-E1-token")
    assert await command(org, "U1", "T1") == 200
    refreshes = [c for c in fake.called("oauth.v2.access")
                 if c.params.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1 and refreshes[0].params["refresh_token"] == "xoxe-1-refresh-1"
    posted = fake.called("chat.postMessage")
    assert posted and {c.token for c in posted} == {"xoxe.xoxb-E1-rotated-2"}
    assert open_question(fake.dm("U1")) is not None
    record = json.loads((await installations(org))["E1:-"])
    assert record["bot_token_expires_at"] > time.time() + 3600
    assert "rotated" not in json.dumps(record) and "refresh-3" not in json.dumps(record)


async def test_a_fresh_token_is_not_refreshed(org, fake) -> None:
    assert await command(org, "U1", "T1") == 200
    assert [c.params.get("grant_type") for c in fake.called("oauth.v2.access")] == [None]


async def test_two_replicas_refreshing_at_once_keep_a_working_token(org, fake) -> None:
    replica = SlackTestbed(fake, org.settings)  # the same database, another process
    await replica.start()
    try:
        await expire_stored_token(org)
        fake.expire("xoxb-E1-token")
        replies = await asyncio.gather(
            org.send(in_org(org.command_body("U1", team="T1")), FORM, settle=False),
            replica.send(in_org(replica.command_body("U2", team="T3")), FORM, settle=False))
        assert [status for status, _ in replies] == [200, 200]
        await org.settle()
        await replica.settle()
        stored = await stored_token(org)
        assert stored in fake.tokens and stored not in fake.expired
        fake.calls.clear()
        await command(org, "U3", "T1")  # served with the stored token, without a refresh
        assert {c.token for c in fake.called("chat.postMessage")} == {stored}
        assert not fake.called("oauth.v2.access")
    finally:
        await replica.stop()


async def stored_token(bed: SlackTestbed) -> str:
    """The bot token stored for the org, decrypted the way the app reads it."""
    assert bed.advisor is not None and bed.settings.encryption_key is not None
    cipher = TokenCipher(bed.settings.encryption_key.get_secret_value())
    bot = await RecordInstallationStore(bed.advisor.store, cipher).async_find_bot(
        enterprise_id="E1", team_id=None, is_enterprise_install=True)
    assert bot is not None
    return str(bot.bot_token)


async def test_the_org_key_is_used_for_the_conversation(org) -> None:
    await command(org, "U1", "T1")
    assert org.advisor is not None
    assert await org.advisor.current(ConversationKey("slack", "E1", "dm", "U1")) is not None
    assert await org.advisor.current(ConversationKey("slack", "T1", "dm", "U1")) is None
