"""One set of scripted dialogues, run through every platform edge so they cannot drift apart.

Each driver talks to the real server over real HTTP (signed Slack requests, Bot Framework
activities) with the platform's API answered by a local fake; see tests/contract/drivers_*.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

# Flow version 2. `obligations` takes several answers: its checkboxes (Slack) or multi-select
# (Teams) are ticked and submitted; "a+b" ticks a and b, "" ticks nothing (none).
FORK_CHECK = [("upstream", "fork"), ("upstream_health", "active"), ("confidential", "none"),
              ("differentiator", "no"), ("obligations", "none"), ("ownership", "yes"),
              ("entities", "one")]
INNERSOURCE_CHECK = [
    ("upstream", "no"), ("confidential", "core"), ("differentiator", "yes"),
    ("audience", "company"), ("internal_only", "yes"), ("users", "many_teams"),
    ("contributors", "patches"), ("control", "final_say"), ("capacity", "internal"),
    ("obligations", "copyleft+patents"), ("ownership", "yes"), ("entities", "one"),
]


@pytest.fixture(params=["slack", "teams-agents", "teams-botbuilder"])
async def platform(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Any]:
    if request.param == "slack":
        from tests.contract.drivers_slack import SlackDriver  # noqa: PLC0415

        driver: Any = SlackDriver(tmp_path)
    else:  # Teams, once per SDK
        from tests.contract.drivers_teams import TeamsDriver  # noqa: PLC0415

        driver = TeamsDriver(tmp_path, request.param.removeprefix("teams-"))
    await driver.__aenter__()
    try:
        yield driver
    finally:
        await driver.__aexit__(None, None, None)


async def answer_all(platform, script, user="U1") -> None:
    for question, option in script:
        assert await platform.open_question(user) == question
        await platform.click(option, user)


async def test_a_whole_check_by_buttons_ends_with_the_expected_path(platform) -> None:
    await platform.start("U1")
    await answer_all(platform, INNERSOURCE_CHECK)
    assert await platform.open_question("U1") is None
    assert await platform.result_path("U1") == "innersource"


async def test_a_whole_check_by_typed_answers(platform) -> None:
    await platform.start("U1")
    for text in ["1", "active", "No, nothing confidential", "no", "8", "yes", "1"]:
        await platform.say(text, "U1")
    assert await platform.result_path("U1") == "contribute_upstream"


async def test_several_answers_typed_as_numbers_and_a_refusal_re_prompts(platform) -> None:
    await platform.start("U1")
    await answer_all(platform, FORK_CHECK[:4])
    assert await platform.open_question("U1") == "obligations"
    await platform.say("8, 1", "U1")  # none together with another: refused, asked again
    assert await platform.open_question("U1") == "obligations"
    assert "none" in (await platform.last_text("U1")).lower()
    await platform.say("1, 3", "U1")
    assert await platform.open_question("U1") == "ownership"
    assert await platform.answered("obligations", "U1") == ["encryption", "personal_data"]


async def test_ticking_nothing_means_none(platform) -> None:
    await platform.start("U1")
    await answer_all(platform, FORK_CHECK[:4])
    await platform.click("", "U1")
    assert await platform.answered("obligations", "U1") == ["none"]


async def test_back_returns_to_the_previous_question(platform) -> None:
    await platform.start("U1")
    await platform.click("no", "U1")
    await platform.action("back", "U1")
    assert await platform.open_question("U1") == "upstream"


async def test_cancel_then_typing_start_begins_a_new_check(platform) -> None:
    await platform.start("U1")
    await platform.click("fork", "U1")
    await platform.action("cancel", "U1")
    assert await platform.open_question("U1") is None
    await platform.say("start", "U1")
    assert await platform.open_question("U1") == "upstream"


async def test_restart_clears_the_answers(platform) -> None:
    await platform.start("U1")
    await answer_all(platform, FORK_CHECK[:2])
    await platform.say("restart", "U1")
    assert await platform.open_question("U1") == "upstream"


async def test_a_check_resumes_after_the_server_restarts(platform) -> None:
    await platform.start("U1")
    await answer_all(platform, FORK_CHECK[:5])
    await platform.restart_server()
    await platform.start("U1")
    assert await platform.open_question("U1") == "ownership"
    await answer_all(platform, FORK_CHECK[5:])
    assert await platform.result_path("U1") == "contribute_upstream"


async def test_nonsense_typed_changes_nothing(platform) -> None:
    await platform.start("U1")
    await platform.say("purple elephants", "U1")
    assert await platform.open_question("U1") == "upstream"
    await answer_all(platform, FORK_CHECK)
    assert await platform.result_path("U1") == "contribute_upstream"


async def test_two_users_run_separate_checks(platform) -> None:
    await platform.start("U1")
    await platform.start("U2")
    await platform.click("fork", "U1")
    assert await platform.open_question("U1") == "upstream_health"
    assert await platform.open_question("U2") == "upstream"
