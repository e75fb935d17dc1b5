"""Malformed, truncated and hostile payloads on every endpoint, fuzzed against the real server.

Each server starts once per module in an event loop this module owns: hypothesis runs a sync test
many times, and a module-scoped fixture is shared by every example without the function-scoped
fixture health check (a function-scoped server would be shared silently across examples anyway).

After every request the example waits for the work spawned after the ack, then checks that
- the status is below 500,
- nothing in the store changed: the conversations, history and records tables are read straight
  from the SQLite file and compared with the snapshot taken before the request,
- the platform was only told harmless things: notices and refusals, never a question, a result,
  an update of an existing message or a card with buttons,
- no background work failed: an exception after the ack is a 5xx that nobody sees, so the
  `osc_errors_total` counters and every log record at ERROR level are checked as well.

Hostile here means "not something a real user does": a signed slash command from a new user, or a
typed Teams message, legitimately starts a check, so the strategies never produce those.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from prometheus_client import REGISTRY

from bot.server import MAX_REQUEST_BYTES
from tests.e2e.fake_slack import FakeSlack
from tests.e2e.slack_testbed import FORM, SlackTestbed, open_question, slack_settings
from tests.e2e.teams_harness import TeamsHarness

T = TypeVar("T")

# Deterministic and quick: the same examples on every run, no example database on disk.
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
STATE_TABLES = ("conversations", "history", "records")
ERROR_KINDS = ("background", "unhandled")


# --- the harness every example runs in -----------------------------------------------------


class ErrorLog(logging.Handler):
    """Every record at ERROR or above, from any logger, while installed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def error_counts() -> tuple[float, ...]:
    return tuple(REGISTRY.get_sample_value("osc_errors_total", {"kind": kind}) or 0.0
                 for kind in ERROR_KINDS)


def snapshot(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables that hold state, read from the file itself."""
    with closing(sqlite3.connect(database)) as connection:
        return {table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall(),  # noqa: S608
                              key=repr) for table in STATE_TABLES}


@dataclass
class Rig:
    """A server in a loop this module owns, and what must not change while it is fuzzed."""

    loop: asyncio.AbstractEventLoop
    database: Path
    settle: Callable[[], Awaitable[None]]
    said: Callable[[], list[str]]  # everything harmful the platform was told so far
    errors: ErrorLog = field(default_factory=ErrorLog)

    def run(self, work: Awaitable[T]) -> T:
        async def with_timeout() -> T:
            async with asyncio.timeout(20):  # a hang is a failure, not a stuck CI job
                return await work
        return self.loop.run_until_complete(with_timeout())

    def harmless(self, request: Callable[[], Awaitable[int]]) -> int:
        """Send one request; assert it answered < 500 and changed and broke nothing."""
        before = (snapshot(self.database), len(self.said()), error_counts())
        logged = len(self.errors.records)
        status = self.run(request())
        self.run(self.settle())
        if currently_in_test_context():  # --hypothesis-show-statistics: the answers exercised
            event(f"HTTP {status}")
        assert status < 500
        assert [r.getMessage() for r in self.errors.records[logged:]] == []
        assert error_counts() == before[2], "background work failed after the ack"
        assert self.said()[before[1]:] == [], "the platform was told something it should not"
        assert snapshot(self.database) == before[0], "the request changed stored state"
        return status


async def post(url: str, body: str | bytes, headers: dict[str, str] | None = None,
               method: str = "POST") -> int:
    """One raw request, whatever its body and headers; the status."""
    async with aiohttp.ClientSession() as http, http.request(
            method, url, data=body, headers=headers or {}) as response:
        await response.read()
        return response.status


@pytest.fixture(scope="module")
def own_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The loop both servers live in; hypothesis's sync examples drive it one request at a time."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


def slack_said(fake: FakeSlack) -> list[str]:
    """The Web API calls that show, change or schedule something beyond a notice."""
    harmful = []
    latest = time.time() + 121 * 24 * 3600
    for call in fake.calls:
        blocks = call.params.get("blocks") or []
        if call.method in ("auth.test", "chat.postEphemeral", "views.publish"):
            continue  # a refusal only the user sees, or App Home showing their own history
        if call.method == "chat.postMessage" and not any(
                isinstance(b, dict) and b.get("type") == "actions" for b in blocks):
            continue  # a notice without buttons: no question, no result
        if call.method == "chat.scheduleMessage" and int(call.params["post_at"]) < latest:
            continue  # a reminder the user asked for, within what Slack accepts
        harmful.append(f"{call.method}: {call.params.get('text')!r}")
    return harmful


@pytest.fixture(scope="module")
def slack(own_loop: asyncio.AbstractEventLoop,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SlackTestbed, Rig]]:
    """The Slack server with U1 one answer into a check, so there is state to protect."""
    fake = FakeSlack()
    own_loop.run_until_complete(fake.start())
    path = tmp_path_factory.mktemp("fuzz-slack")
    bed = SlackTestbed(fake, slack_settings(fake, path))
    rig = Rig(own_loop, path / "slack.db", bed.settle, lambda: slack_said(fake))
    logging.getLogger().addHandler(rig.errors)
    try:
        rig.run(bed.start())
        rig.run(bed.command("U1"))
        found = open_question(fake.dm("U1"))
        assert found is not None
        option = next(e["action_id"] for b in found[1].blocks for e in b.get("elements", [])
                      if e.get("action_id", "").startswith("answer:"))
        assert rig.run(bed.click("U1", found[1], option)) == 200
        assert rig.errors.records == []
        yield bed, rig
    finally:
        logging.getLogger().removeHandler(rig.errors)
        rig.run(bed.stop())
        rig.run(fake.stop())


def teams_said(bot: TeamsHarness) -> list[str]:
    """Cards (questions, results), card updates and new chats: all beyond a text notice."""
    connector = bot.connector
    return ([f"card in {m.conversation}" for m in connector.messages if m.card is not None]
            + ["an update"] * sum(m.updates for m in connector.messages)
            + [f"a chat with {c.get('members')}" for c in connector.created])


@pytest.fixture(scope="module")
def teams(own_loop: asyncio.AbstractEventLoop,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TeamsHarness, Rig]]:
    """The Teams server with U1 in a check and the bot installed in a team."""
    path = tmp_path_factory.mktemp("fuzz-teams")
    bot = TeamsHarness(path)
    rig = Rig(own_loop, path / "teams.db", bot.settle, lambda: teams_said(bot))
    logging.getLogger().addHandler(rig.errors)
    try:
        rig.run(bot.__aenter__())
        assert rig.run(bot.post(bot.installed())) == 202
        assert rig.run(bot.say("U1", "start")) == 202
        assert rig.errors.records == []
        yield bot, rig
    finally:
        logging.getLogger().removeHandler(rig.errors)
        rig.run(bot.__aexit__())


# --- strategies ----------------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
not_strings = junk.filter(lambda value: not isinstance(value, str))
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "\ud7ff\ufffd", "💥" * 300, "answer:", "|", "a.1|b",
                     "{", "null", "[]", "-1", "9" * 40, "1e309", "<at>x</at>", "x" * 30_000]))
absent = object()  # a field left out altogether


def put(target: dict[str, Any], name: str, value: Any) -> None:
    if value is absent:
        target.pop(name, None)
    else:
        target[name] = value


def truncated(text: str) -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=max(len(text) - 1, 0)).map(lambda n: text[:n])


COMMAND = "/opensource-check"
SUBCOMMANDS = ("", "start", "restart", "cancel", "history")
FORM_FIELDS = ("token", "team_id", "user_id", "user_name", "channel_id", "command", "text",
               "trigger_id", "response_url", "payload", "type", "ssl_check", "api_app_id")


@st.composite
def signed_forms(draw: st.DrawFn) -> str:
    """Random form fields; never a well-formed command, which would legitimately start a check."""
    fields = draw(st.dictionaries(st.sampled_from(FORM_FIELDS) | st.text(max_size=10),
                                  texts, max_size=8))
    if draw(st.booleans()):
        fields["command"] = draw(st.sampled_from([COMMAND, "/other", ""]) | texts)
    if fields.get("command") == COMMAND and fields.get("user_id"):
        # A real user's command: only its text may be hostile.
        fields["text"] = draw(texts.filter(lambda t: t.strip().lower() not in SUBCOMMANDS))
    if fields.get("command") == COMMAND:
        fields["response_url"] = "http://127.0.0.1:9/unreachable"  # a hostile ack never uses it
    return urlencode(fields)


@st.composite
def userless_commands(draw: st.DrawFn, bed: SlackTestbed) -> str:
    """Our command, as Slack would send it, but with no one (or nothing) as the user."""
    fields = dict(_form(bed.command_body("U1", draw(st.sampled_from(SUBCOMMANDS)))))
    put(fields, "user_id", draw(st.sampled_from([absent, "", " "])))
    if draw(st.booleans()):
        put(fields, "team_id", draw(st.sampled_from([absent, ""])))
    return urlencode(fields)


def _form(body: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl  # noqa: PLC0415
    return parse_qsl(body, keep_blank_values=True)


ACTION_IDS = ("answer:", "answer:nonexistent", "answer:yes", "help", "back", "cancel",
              "post_summary", "remind", "remind_at", "summary_channel")
PAYLOAD_PARTS = ("actions", "user", "team", "container", "channel", "state", "message",
                 "trigger_id", "type", "response_url")


@st.composite
def action_values(draw: st.DrawFn) -> Any:
    return draw(st.one_of(
        texts, st.builds(lambda ref, option: f"{ref}|{option}", texts, texts),
        st.builds(json.dumps, junk), st.just(absent), not_strings))


@st.composite
def block_actions(draw: st.DrawFn, bed: SlackTestbed) -> dict[str, Any]:
    """A button click shaped like Slack's, with its action and any other part odd or missing.

    It comes from U1 (who has a check open) or a stranger, and no ref is ever the open
    question's, so no click can legitimately advance a check.
    """
    user = draw(st.sampled_from(["U1", "U5"]))
    action: dict[str, Any] = {"type": "button", "block_id": "answers:q",
                              "action_id": draw(st.sampled_from(ACTION_IDS)),
                              "action_ts": "1.1"}
    put(action, "value", draw(action_values()))
    payload: dict[str, Any] = {
        "type": "block_actions", "team": {"id": "T1"}, "api_app_id": "A1",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "container": {"type": "message", "message_ts": "1.1", "channel_id": f"D{user}"},
        "channel": {"id": f"D{user}"}, "trigger_id": "trigger",
        "response_url": f"{bed.fake.hooks_url}/actions", "actions": [action]}
    for part in draw(st.sets(st.sampled_from(PAYLOAD_PARTS), max_size=3)):
        put(payload, part, draw(st.just(absent) | junk))
    if draw(st.booleans()):
        put(action, draw(st.sampled_from(["action_id", "type", "block_id"])),
            draw(st.just(absent) | junk))
    return payload


def message_event(user: str) -> dict[str, Any]:
    return {"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user,
            "text": "hi", "ts": "1.000001"}


@st.composite
def event_callbacks(draw: st.DrawFn, bed: SlackTestbed) -> str:
    """An event callback whose event is junk, or a DM with its user, channel or text broken."""
    kind = draw(st.sampled_from(["junk", "broken message", "other"]))
    if kind == "junk":
        event: Any = draw(junk)
    elif kind == "broken message":
        event = message_event(draw(st.sampled_from(["U1", "U6"])))
        for name in draw(st.sets(st.sampled_from(["user", "channel", "text"]), min_size=1)):
            if name == "text":  # text that is not text; an empty one would be a real DM
                put(event, name, draw(not_strings.filter(bool)))
            else:
                put(event, name, draw(st.sampled_from([absent, "", None]) | not_strings))
    else:
        event = draw(st.dictionaries(st.text(max_size=8), junk, max_size=4))
        event["type"] = draw(st.sampled_from(
            ["message", "app_home_opened", "app_mention", "reaction_added", "", "\x00"]) | texts)
        event["user"] = draw(st.sampled_from(["U1", "U6"]) | junk)
    body = json.loads(bed.event_body({}, bed.next_id("EvFuzz")))
    body["event"] = event
    for part in draw(st.sets(st.sampled_from(["team_id", "event_id", "type", "api_app_id"]),
                             max_size=2)):
        put(body, part, draw(st.just(absent) | junk))
    return json.dumps(body)


@st.composite
def signed_junk(draw: st.DrawFn, bed: SlackTestbed) -> tuple[str, str]:
    """Bodies that are not what the content type says, and truncated real payloads."""
    click = urlencode({"payload": json.dumps(draw(block_actions(bed)))})
    event = bed.event_body(message_event("U1"), "EvTrunc")
    body = draw(st.one_of(
        texts, truncated(click), truncated(event), st.builds(json.dumps, junk),
        st.builds(lambda text: urlencode({"payload": text}), texts),
        st.builds(lambda text: "payload=" + text,
                  truncated(json.dumps(draw(block_actions(bed)))))))
    content_type = draw(st.sampled_from([FORM, "application/json", "text/plain", "",
                                         "multipart/form-data"]))
    return body, content_type


# --- Slack: /slack/events --------------------------------------------------------------------


def signed(bed: SlackTestbed, body: str, content_type: str) -> Callable[[], Awaitable[int]]:
    async def send() -> int:
        status, _ = await bed.send(body, content_type, settle=False)
        return status
    return send


@FUZZ
@given(data=st.data())
def test_signed_malformed_forms_and_commands_change_nothing(slack, data) -> None:
    bed, rig = slack
    body = data.draw(signed_forms() | userless_commands(bed))
    rig.harmless(signed(bed, body, FORM))


@FUZZ
@given(data=st.data())
def test_signed_clicks_with_odd_actions_users_and_refs_change_nothing(slack, data) -> None:
    bed, rig = slack
    payload = data.draw(block_actions(bed))
    if payload.get("trigger_id") == "trigger":  # unique, or the advisor drops it as a retry
        payload["trigger_id"] = bed.next_id("fuzz")
    rig.harmless(signed(bed, urlencode({"payload": json.dumps(payload)}), FORM))


@FUZZ
@given(data=st.data())
def test_signed_event_callbacks_of_any_shape_change_nothing(slack, data) -> None:
    bed, rig = slack
    rig.harmless(signed(bed, data.draw(event_callbacks(bed)), "application/json"))


@FUZZ
@given(data=st.data())
def test_signed_junk_and_truncated_payloads_change_nothing(slack, data) -> None:
    bed, rig = slack
    body, content_type = data.draw(signed_junk(bed))
    rig.harmless(signed(bed, body, content_type))


@st.composite
def forged_headers(draw: st.DrawFn, bed: SlackTestbed, body: str) -> dict[str, str]:
    """No signature, a wrong one, another secret's, or a real one that is too old."""
    now = int(time.time())
    choice = draw(st.sampled_from(["none", "junk", "stale", "other body", "future"]))
    if choice == "none":
        return {}
    if choice == "stale":
        return bed.sign(body, timestamp=now - 6 * 60)
    if choice == "future":
        return bed.sign(body, timestamp=now + 6 * 60)
    if choice == "other body":
        return bed.sign(body + " ", timestamp=now)
    return {"X-Slack-Request-Timestamp": draw(st.sampled_from([str(now), "", "x"])),
            "X-Slack-Signature": draw(st.sampled_from(["", "v0=", "v0=" + "0" * 64]) |
                                      st.text(alphabet="v0=abcdef0123456789", max_size=70))}


@FUZZ
@given(data=st.data())
def test_unsigned_or_wrongly_signed_requests_are_refused_with_401(slack, data) -> None:
    bed, rig = slack
    body = data.draw(st.one_of(texts, signed_forms(), event_callbacks(bed),
                               st.builds(lambda p: urlencode({"payload": json.dumps(p)}),
                                         block_actions(bed)),
                               st.just(bed.command_body("U9", "start"))))
    headers = {"Content-Type": data.draw(st.sampled_from([FORM, "application/json"])),
               **data.draw(forged_headers(bed, body))}
    assert rig.harmless(lambda: post(f"{bed.url}/slack/events", body, headers)) == 401


# --- Teams: /api/messages --------------------------------------------------------------------

ACTIVITY_TYPES = ("message", "conversationUpdate", "installationUpdate", "invoke", "event",
                  "typing", "messageReaction", "endOfConversation", "", "Message")
ACTIVITY_PARTS = ("from", "conversation", "recipient", "channelData", "serviceUrl", "id",
                  "channelId", "text", "replyToId", "entities", "attachments", "timestamp")


@st.composite
def submit_values(draw: st.DrawFn, user: str) -> dict[str, Any]:
    """A card button's data with every field odd: never the open question's ref.

    Half of them name the sender as the owner, so they get past the ownership check.
    """
    value: dict[str, Any] = {"ocb": draw(st.sampled_from(["answer", "back", "cancel", "post"])
                                         | st.sampled_from(["help", "", "Answer"]) | junk)}
    put(value, "owner", draw(st.just(user) | st.sampled_from([absent, "U8"]) | junk))
    for name in ("ref", "option", "answers", "channel", "q"):
        put(value, name, draw(st.sampled_from([absent, "U1", ""]) | junk | texts))
    return value


def valid_team_data(data: Any) -> bool:
    """channelData a real installation sends: remembering its channel is a legitimate change."""
    if not isinstance(data, dict):
        return False
    team, channel, tenant = data.get("team"), data.get("channel"), data.get("tenant")
    return (isinstance(team, dict) and "id" in team
            and (not channel or (isinstance(channel, dict) and "id" in channel))
            and (tenant is None or isinstance(tenant, dict)))


@st.composite
def activities(draw: st.DrawFn, bot: TeamsHarness) -> dict[str, Any]:
    """An activity from U1 or a stranger with its type, value and any other part odd.

    Messages always carry a card submit: a typed message (even an empty one) starts a check.
    """
    user = draw(st.sampled_from(["U1", "U8"]))
    activity = bot.personal(user)
    activity["type"] = draw(st.sampled_from(ACTIVITY_TYPES) | junk)
    activity["value"] = draw(submit_values(user))
    if activity["type"] in ("conversationUpdate", "installationUpdate"):
        in_a_team = st.fixed_dictionaries({"id": texts})  # past the first check in observe
        activity["channelData"] = draw(junk.filter(lambda d: not valid_team_data(d))
                                       | st.fixed_dictionaries({
                                           "team": junk | in_a_team, "channel": junk,
                                           "tenant": junk, "eventType": texts | junk}).filter(
                                               lambda d: not valid_team_data(d)))
        activity["action"] = draw(st.sampled_from(["add", "remove"]) | junk)
    for part in draw(st.sets(st.sampled_from(ACTIVITY_PARTS), max_size=3)):
        if part == "serviceUrl":
            value = draw(st.sampled_from([absent, "", "not a url", "ftp://x/", "http://"]) | junk)
        elif part == "text":
            value = draw(texts)
        elif part == "channelData" and activity["type"] in ("conversationUpdate",
                                                            "installationUpdate"):
            continue
        else:
            value = draw(st.just(absent) | junk)
        put(activity, part, value)
    if draw(st.booleans()):
        put(activity["from"] if isinstance(activity.get("from"), dict) else {},
            draw(st.sampled_from(["id", "aadObjectId", "name"])), draw(st.just(absent) | junk))
    return activity


@FUZZ
@given(data=st.data())
def test_activities_with_odd_types_values_and_parts_change_nothing(teams, data) -> None:
    bot, rig = teams
    activity = data.draw(activities(bot))
    rig.harmless(lambda: post(bot.url, json.dumps(activity),
                              {"Content-Type": "application/json"}))


@FUZZ
@given(data=st.data())
def test_junk_truncated_and_non_json_bodies_on_api_messages_change_nothing(teams, data) -> None:
    bot, rig = teams
    real = json.dumps({**bot.personal("U1", text="start"), "id": "act-truncated"})
    body = data.draw(st.one_of(texts, truncated(real), st.builds(json.dumps, junk),
                               st.binary(max_size=200)))
    content_type = data.draw(st.sampled_from(["application/json", "text/plain", FORM, ""]))
    status = rig.harmless(lambda: post(bot.url, body, {"Content-Type": content_type}))
    assert status == 400 or body[:1] in ("{", b"{")


# --- every endpoint ----------------------------------------------------------------------------

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")
PATHS = ("/healthz", "/metrics", "/", "/slack/events", "/api/messages", "/slack/install",
         "/slack/oauth_redirect", "/nope", "/healthz/", "/%00", "/..%2f..%2fetc%2fpasswd")


@FUZZ
@given(data=st.data())
def test_any_method_path_and_body_on_either_server_changes_nothing(slack, teams, data) -> None:
    rig, base = data.draw(st.sampled_from([
        (slack[1], slack[0].url), (teams[1], teams[0].url.removesuffix("/api/messages"))]))
    method = data.draw(st.sampled_from(METHODS))
    path = data.draw(st.sampled_from(PATHS) | st.text(alphabet="/abcxyz%?=&.", max_size=20)
                     .map(lambda p: "/" + p))
    body = data.draw(texts | st.binary(max_size=100))
    rig.harmless(lambda: post(base + path, body, {"Content-Type": "application/json"}, method))


def test_bodies_over_256_kib_are_refused_with_413_on_slack(slack) -> None:
    bed, rig = slack
    body = urlencode({"payload": "x" * MAX_REQUEST_BYTES})
    headers = {"Content-Type": FORM, **bed.sign(body)}
    assert rig.harmless(lambda: post(f"{bed.url}/slack/events", body, headers)) == 413


def test_bodies_over_256_kib_are_refused_with_413_on_teams(teams) -> None:
    bot, rig = teams
    body = json.dumps(bot.personal("U1", text="x" * MAX_REQUEST_BYTES))
    headers = {"Content-Type": "application/json"}
    assert rig.harmless(lambda: post(bot.url, body, headers)) == 413


# --- what the fuzzer found, one example each -------------------------------------------------


def click_body(action_id: str, value: Any, user: str = "U1", dm: str = "DU1") -> str:
    action = {"type": "button", "action_id": action_id, "block_id": "b", "value": value}
    payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": user},
               "container": {"type": "message", "message_ts": "1.1", "channel_id": dm},
               "channel": {"id": dm}, "trigger_id": f"trigger-{action_id}-{value}",
               "actions": [action]}
    return urlencode({"payload": json.dumps(payload)})


def last_ephemeral(bed: SlackTestbed) -> str:
    return [m.text for m in bed.fake.messages if m.user == "U1"][-1]


@pytest.mark.parametrize(("body", "status"), [
    ("payload=%7Bnot+json", 400),  # bolt's parser raised: a 500
    (urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}), 400),
    (json.dumps({"type": "event_callback", "team_id": "T1", "event": None}), 400),
    (click_body("answer:x", None), 200),  # no value: the listener raised after the ack
])
def test_signed_payloads_slack_never_sends_are_refused_or_ignored(slack, body, status) -> None:
    bed, rig = slack
    content_type = "application/json" if body.startswith("{") else FORM
    assert rig.harmless(signed(bed, body, content_type)) == status


@pytest.mark.parametrize("body", ["[" * 200_000, '{"a":' * 50_000])
def test_json_nested_deeper_than_the_parser_goes_is_400_signed_and_401_unsigned(
        slack, body) -> None:
    bed, rig = slack
    assert rig.harmless(signed(bed, body, "application/json")) == 400
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": "1",
               "X-Slack-Signature": "v0=0"}
    assert rig.harmless(lambda: post(f"{bed.url}/slack/events", body, headers)) == 401


def test_a_5000_digit_signature_timestamp_is_401_not_500(slack) -> None:
    bed, rig = slack
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": "9" * 5000,
               "X-Slack-Signature": "v0="}
    assert rig.harmless(lambda: post(f"{bed.url}/slack/events", "a=b", headers)) == 401


def test_a_signature_timestamp_that_is_not_a_number_is_401_not_500(slack) -> None:
    bed, rig = slack
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": "x", "X-Slack-Signature": "v0="}
    assert rig.harmless(lambda: post(f"{bed.url}/slack/events", "a=b", headers)) == 401


@pytest.mark.parametrize(("action_id", "value"), [
    ("post_summary", "not json"), ("post_summary", json.dumps({"u": "U1", "a": ["x"]})),
    ("remind", "soon"), ("remind", "9" * 40), ("remind_at", "-99999999999999"),
])
def test_damaged_summary_and_reminder_buttons_say_so_and_change_nothing(
        slack, action_id, value) -> None:
    bed, rig = slack
    assert rig.harmless(signed(bed, click_body(action_id, value), FORM)) == 200
    assert last_ephemeral(bed).startswith("I could not read that button")


def test_a_stale_click_from_another_channel_does_not_move_the_users_dm(slack) -> None:
    bed, rig = slack
    body = click_body("answer:yes", "stale.0|yes", dm="DELSEWHERE")
    assert rig.harmless(signed(bed, body, FORM)) == 200  # the records table is unchanged


@pytest.mark.parametrize("event", [
    {"type": "message", "channel_type": "im", "user": "U6", "text": "hi"},  # no channel
    {"type": "message", "channel_type": "im", "channel": "DU6", "text": "hi"},  # no user
    {"type": "message", "channel_type": "im", "channel": "DU6", "user": "U6", "text": ["hi"]},
])
def test_dm_events_without_a_user_channel_or_text_are_ignored(slack, event) -> None:
    bed, rig = slack
    body = bed.event_body(event, bed.next_id("EvReg"))
    assert rig.harmless(signed(bed, body, "application/json")) == 200


def test_a_command_without_a_user_says_so_and_starts_nothing(slack) -> None:
    bed, rig = slack
    body = urlencode({k: v for k, v in _form(bed.command_body("U1", "start")) if k != "user_id"})
    answers: list[str] = []

    async def send() -> int:
        status, text = await bed.send(body, FORM, settle=False)
        answers.append(text)
        return status

    assert rig.harmless(send) == 200
    assert "could not tell who sent this" in answers[0]


def test_a_null_body_or_an_activity_without_a_sender_is_400(teams) -> None:
    bot, rig = teams
    no_sender = {k: v for k, v in bot.personal("U1", text="start").items() if k != "from"}
    headers = {"Content-Type": "application/json"}
    for body in ("null", json.dumps(no_sender)):
        assert rig.harmless(lambda body=body: post(bot.url, body, headers)) == 400


@pytest.mark.parametrize("value", [
    {"ocb": "answer", "owner": "U1", "ref": "r", "option": ["yes"]},  # pydantic refused it
    {"ocb": "post", "owner": "U1", "answers": "abc"},  # dict("abc") raised
])
def test_damaged_card_submits_say_so_and_change_nothing(teams, value) -> None:
    bot, rig = teams
    activity = bot.personal("U1", value=value)
    assert rig.harmless(lambda: post(bot.url, json.dumps(activity),
                                     {"Content-Type": "application/json"})) == 202
    assert bot.chat("U1")[-1].text.startswith("I could not read that button")


@pytest.mark.parametrize("data", [
    {"team": {"id": "19:t"}, "channel": "19:c"},
    {"team": {"id": "19:t"}, "eventType": ["channelCreated"]},
    {"team": {"id": "19:t"}, "eventType": "channelDeleted"},
    {"team": {"id": "19:t"}, "tenant": ["T1"], "channel": {"name": "no id"}},
])
def test_team_updates_of_shapes_teams_never_sends_change_nothing(teams, data) -> None:
    bot, rig = teams
    update = bot.installed()
    update["channelData"] = data
    assert rig.harmless(lambda: post(bot.url, json.dumps(update),
                                     {"Content-Type": "application/json"})) == 202


def test_a_submit_whose_kind_is_not_text_changes_nothing(teams) -> None:
    bot, rig = teams
    activity = bot.personal("U1", value={"ocb": ["answer"], "owner": "U1"})
    assert rig.harmless(lambda: post(bot.url, json.dumps(activity),
                                     {"Content-Type": "application/json"})) == 202


def test_json_nested_deeper_than_python_parses_is_400_on_teams(teams, caplog) -> None:
    bot, rig = teams
    with caplog.at_level(logging.WARNING):
        status = rig.harmless(lambda: post(bot.url, "[" * 200_000,
                                           {"Content-Type": "application/json"}))
    assert status == 400
    assert len([r for r in caplog.records if r.name.startswith("bot.")]) == 1
