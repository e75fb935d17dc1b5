"""The store contract, run against every real backend (the `store` fixture's params)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta

import pytest

from bot.core.conversation import Conversation
from bot.core.engine import Engine
from bot.store.base import (
    DEFAULT_CONVERSATION_TTL,
    DEFAULT_IDEMPOTENCY_WINDOW,
    ConflictError,
    ConversationKey,
    DuplicateError,
    HistoryEntry,
    Store,
)
from bot.store.export import collect, to_csv, to_json
from bot.store.sql import SCHEMA_VERSION
from tests.conftest import NOW
from tests.store.conftest import Backend, sql_of

KEY = ConversationKey("slack", "T1", "D1", "U1")
ANSWERS = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
           "differentiator": "no", "obligations": ["none"], "ownership": "yes", "entities": "one"}


def conversation(engine: Engine, version: int = 0) -> Conversation:
    started = engine.start("c1", NOW).conversation
    return started.model_copy(update={"version": version, "meta": {"message": "ts.1"}})


def entry(engine: Engine, n: int, *, user: str = "U1", workspace: str = "T1") -> HistoryEntry:
    _, recommendation = engine.assess(ANSWERS)
    return HistoryEntry(platform="slack", workspace=workspace, channel="C1", user_id=user,
                        user_name=f"User {user}", completed_at=NOW + timedelta(minutes=n),
                        flow="opensource_check", flow_version=1, answers=ANSWERS,
                        recommendation=recommendation, check_id=f"{workspace}-{user}-{n}")


async def attempt_save(store: Store, saved: Conversation, expected: int | None) -> bool:
    try:
        await store.save(KEY, saved, expected, NOW)
    except ConflictError:
        return False
    return True


# --- conversations --------------------------------------------------------------------------


async def test_a_saved_conversation_loads_back_unchanged(store, engine):
    saved = conversation(engine)
    await store.save(KEY, saved, None, NOW)
    assert await store.load(KEY, NOW) == saved


async def test_an_unknown_conversation_loads_as_none(store):
    assert await store.load(KEY, NOW) is None


async def test_keys_differing_in_any_part_are_separate_conversations(store, engine):
    await store.save(KEY, conversation(engine), None, NOW)
    for other in (ConversationKey("teams", "T1", "D1", "U1"), ConversationKey("slack", "T2", "D1",
                  "U1"), ConversationKey("slack", "T1", "D2", "U1"),
                  ConversationKey("slack", "T1", "D1", "U2")):
        assert await store.load(other, NOW) is None


async def test_saving_the_next_version_from_the_current_one_succeeds(store, engine):
    await store.save(KEY, conversation(engine, 0), None, NOW)
    await store.save(KEY, conversation(engine, 1), 0, NOW)
    loaded = await store.load(KEY, NOW)
    assert loaded is not None and loaded.version == 1


async def test_a_first_save_over_a_live_conversation_conflicts(store, engine):
    await store.save(KEY, conversation(engine), None, NOW)
    with pytest.raises(ConflictError):
        await store.save(KEY, conversation(engine, 5), None, NOW)


async def test_a_save_from_a_stale_version_conflicts_and_changes_nothing(store, engine):
    await store.save(KEY, conversation(engine, 0), None, NOW)
    await store.save(KEY, conversation(engine, 1), 0, NOW)
    with pytest.raises(ConflictError):
        await store.save(KEY, conversation(engine, 7), 0, NOW)
    assert (await store.load(KEY, NOW)).version == 1


async def test_a_save_expecting_a_version_of_a_missing_conversation_conflicts(store, engine):
    with pytest.raises(ConflictError):
        await store.save(KEY, conversation(engine, 1), 0, NOW)


async def test_of_50_concurrent_saves_from_the_same_version_exactly_one_wins(store, engine):
    await store.save(KEY, conversation(engine, 0), None, NOW)
    racers = [conversation(engine, 1).model_copy(update={"meta": {"racer": str(n)}})
              for n in range(50)]
    won = await asyncio.gather(*(attempt_save(store, racer, 0) for racer in racers))
    assert won.count(True) == 1
    winner = racers[won.index(True)]
    assert await store.load(KEY, NOW) == winner


async def test_of_50_concurrent_first_saves_exactly_one_wins(store, engine):
    won = await asyncio.gather(*(attempt_save(store, conversation(engine), None)
                                 for _ in range(50)))
    assert won.count(True) == 1


async def test_a_conversation_idle_past_the_ttl_is_gone_and_may_be_replaced(store, engine):
    await store.save(KEY, conversation(engine, 3), None, NOW)
    later = NOW + DEFAULT_CONVERSATION_TTL + timedelta(seconds=1)
    assert await store.load(KEY, NOW + DEFAULT_CONVERSATION_TTL) is not None
    assert await store.load(KEY, later) is None
    with pytest.raises(ConflictError):  # its old version is no longer there to build on
        await store.save(KEY, conversation(engine, 4), 3, later)
    await store.save(KEY, conversation(engine, 0), None, later)
    assert (await store.load(KEY, later)).version == 0


async def test_each_save_restarts_the_idle_clock(store, engine):
    await store.save(KEY, conversation(engine, 0), None, NOW)
    halfway = NOW + DEFAULT_CONVERSATION_TTL / 2
    await store.save(KEY, conversation(engine, 1), 0, halfway)
    assert await store.load(KEY, NOW + DEFAULT_CONVERSATION_TTL + timedelta(days=1)) is not None


async def test_delete_forgets_the_conversation_and_tolerates_absence(store, engine):
    await store.save(KEY, conversation(engine), None, NOW)
    await store.delete(KEY)
    await store.delete(KEY)
    assert await store.load(KEY, NOW) is None
    await store.save(KEY, conversation(engine), None, NOW)


# --- idempotency ----------------------------------------------------------------------------


async def test_an_event_is_new_once_within_the_window_and_again_after_it(store):
    assert await store.first_time("evt-1", NOW)
    assert not await store.first_time("evt-1", NOW + timedelta(seconds=1))
    assert not await store.first_time("evt-1", NOW + DEFAULT_IDEMPOTENCY_WINDOW
                                      - timedelta(seconds=1))
    assert await store.first_time("evt-1", NOW + DEFAULT_IDEMPOTENCY_WINDOW)
    assert await store.first_time("evt-2", NOW)


async def test_of_50_concurrent_deliveries_of_one_event_exactly_one_is_new(store):
    seen = await asyncio.gather(*(store.first_time("evt-race", NOW) for _ in range(50)))
    assert seen.count(True) == 1


async def test_a_save_claims_its_event_so_a_redelivery_saves_nothing(store, engine):
    first = conversation(engine)
    await store.save(KEY, first, None, NOW, event="evt-save")
    assert not await store.first_time("evt-save", NOW)  # the save claimed it
    again = conversation(engine, 1)
    with pytest.raises(DuplicateError):
        await store.save(KEY, again, 0, NOW, event="evt-save")
    assert await store.load(KEY, NOW) == first
    later = NOW + DEFAULT_IDEMPOTENCY_WINDOW
    await store.save(KEY, again, 0, later, event="evt-save")  # the window is over: new again
    assert await store.load(KEY, later) == again


async def test_a_save_that_loses_its_race_leaves_its_event_unclaimed(store, engine):
    await store.save(KEY, conversation(engine), None, NOW)
    with pytest.raises(ConflictError):
        await store.save(KEY, conversation(engine, 5), 3, NOW, event="evt-lost")
    assert await store.first_time("evt-lost", NOW)  # the retry after reloading may claim it


async def test_a_save_over_a_seen_event_writes_no_history(store, engine):
    assert await store.first_time("evt-done", NOW)
    with pytest.raises(DuplicateError):
        await store.save(KEY, conversation(engine), None, NOW, entry(engine, 0), event="evt-done")
    assert await store.load(KEY, NOW) is None
    assert (await store.history()).entries == []


async def test_of_50_concurrent_saves_of_one_delivery_exactly_one_is_applied(store, engine):
    async def deliver(n: int) -> str:
        try:
            await store.save(KEY, conversation(engine), None, NOW, event=f"evt-{n % 2}")
        except (ConflictError, DuplicateError) as error:
            return type(error).__name__
        return "saved"

    outcomes = await asyncio.gather(*(deliver(n) for n in range(50)))
    assert outcomes.count("saved") == 1


# --- history --------------------------------------------------------------------------------


async def test_a_history_entry_round_trips_with_its_recommendation(store, engine):
    recorded = entry(engine, 0)
    await store.record_history(recorded)
    page = await store.history()
    assert page.entries == [recorded] and page.next_offset is None


async def test_history_is_filtered_by_user_and_workspace_newest_first(store, engine):
    for n, (user, workspace) in enumerate([("U1", "T1"), ("U2", "T1"), ("U1", "T2"),
                                           ("U1", "T1")]):
        await store.record_history(entry(engine, n, user=user, workspace=workspace))
    mine = await store.history(user_id="U1")
    assert [(e.workspace, e.completed_at.minute) for e in mine.entries] == [
        ("T1", 3), ("T2", 2), ("T1", 0)]
    team = await store.history(workspace="T1")
    assert [e.user_id for e in team.entries] == ["U1", "U2", "U1"]
    both = await store.history(user_id="U1", workspace="T1", platform="slack")
    assert len(both.entries) == 2
    assert (await store.history(platform="teams")).entries == []


async def test_history_pages_follow_next_offset_to_the_end(store, engine):
    for n in range(7):
        await store.record_history(entry(engine, n))
    seen, offset = [], 0
    while offset is not None:
        page = await store.history(limit=3, offset=offset)
        seen += [e.completed_at.minute for e in page.entries]
        offset = page.next_offset
    assert seen == [6, 5, 4, 3, 2, 1, 0]
    assert len(await collect(store, limit=5)) == 5


async def test_history_exports_as_csv_with_flattened_columns_and_as_json(store, engine):
    for n in range(2):
        await store.record_history(entry(engine, n, user=f"U{n}"))
    entries = await collect(store)
    rows = list(csv.DictReader(io.StringIO(to_csv(entries, list(engine.options)))))
    assert [row["user_id"] for row in rows] == ["U1", "U0"]
    assert rows[0]["path"] == "contribute_upstream" and rows[0]["governance"] == "upstream"
    assert rows[0]["answer.upstream"] == "fork" and rows[0]["answer.motivation"] == ""
    assert rows[0]["flags"] == ";".join(entries[0].recommendation.flags)
    exported = json.loads(to_json(entries))
    assert [item.pop("review") for item in exported] == [None, None]
    assert [HistoryEntry.model_validate(item) for item in exported] == entries


async def test_old_history_is_purged_and_a_user_can_be_forgotten(store, engine):
    for n in range(3):
        await store.record_history(entry(engine, n, user=f"U{n}"))
    await store.save(ConversationKey("slack", "T1", "D1", "U2"), conversation(engine), None, NOW)
    assert await store.purge_history(NOW + timedelta(minutes=1)) == 1
    assert await store.forget_user("U2", platform="slack") == 2
    assert [e.user_id for e in (await store.history()).entries] == ["U1"]
    assert await store.load(ConversationKey("slack", "T1", "D1", "U2"), NOW) is None


# --- records, health, migrations ------------------------------------------------------------


async def test_a_record_swap_applies_only_over_the_expected_value(store):
    assert await store.swap_record("k", "s", "key", None, "one") is True
    assert await store.swap_record("k", "s", "key", None, "again") is False
    assert await store.swap_record("k", "s", "key", "stale", "two") is False
    assert await store.swap_record("k", "s", "key", "one", "two") is True
    assert await store.get_records("k", "s") == {"key": "two"}


async def test_replicas_swapping_one_record_at_once_let_exactly_one_win(backend, store):
    await store.put_record("k", "s", "key", "v0")
    replicas = [backend.open() for _ in range(4)]
    await asyncio.gather(*(replica.setup() for replica in replicas))
    won = await asyncio.gather(*(replica.swap_record("k", "s", "key", "v0", f"v{n}")
                                 for n, replica in enumerate(replicas, start=1)))
    assert won.count(True) == 1
    winner = won.index(True) + 1
    assert await store.get_records("k", "s") == {"key": f"v{winner}"}


async def test_records_are_replaced_listed_by_scope_and_deleted(store):
    await store.put_record("channel", "tenant-1", "a", "one")
    await store.put_record("channel", "tenant-1", "a", "two")
    await store.put_record("channel", "tenant-1", "b", "three")
    await store.put_record("channel", "tenant-2", "a", "other")
    assert await store.get_records("channel", "tenant-1") == {"a": "two", "b": "three"}
    await store.delete_record("channel", "tenant-1", "a")
    await store.delete_record("channel", "tenant-1", "a")
    assert await store.get_records("channel", "tenant-1") == {"b": "three"}


async def test_records_put_together_are_kept_together(store):
    await store.put_record("slack.user", "T1:U1", "dm", "D1")
    await store.put_records("slack.user", "T1:U1", {"question_ts": "1.2", "question_ref": "c.3"})
    await store.put_records("slack.user", "T1:U1", {})
    await store.put_records("slack.user", "T1:U1", {"question_ts": "1.4", "dm": "D2"})
    assert await store.get_records("slack.user", "T1:U1") == {
        "dm": "D2", "question_ts": "1.4", "question_ref": "c.3"}


async def test_a_running_store_answers_ping(store):
    assert await store.ping()


async def test_setup_run_twice_and_by_two_replicas_at_once_migrates_once(backend: Backend):
    first, second = backend.open(), backend.open()
    await asyncio.gather(first.setup(), second.setup())
    await first.setup()
    assert await sql_of(first).schema_version() == SCHEMA_VERSION
    await first.put_record("k", "s", "key", "value")
    assert await second.get_records("k", "s") == {"key": "value"}


async def test_csv_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(store, engine):
    for n, name in enumerate(["=HYPERLINK(\"http://evil\",\"x\")", "+1", "-1", "@SUM(A1)",
                              "\tx", "\rx", "Ada"]):
        await store.record_history(entry(engine, n).model_copy(update={"user_name": name}))
    rows = list(csv.DictReader(io.StringIO(to_csv(await collect(store)), newline="")))
    names = sorted(row["user_name"] for row in rows)
    assert all(name == "Ada" or name.startswith("'") for name in names), names
    assert "Ada" in names


async def test_a_finished_check_saved_twice_under_its_key_has_one_history_entry(store, engine):
    recorded = entry(engine, 0)
    assert await store.record_history(recorded, "conv1:7")
    assert not await store.record_history(recorded, "conv1:7")
    assert len((await store.history()).entries) == 1


async def test_rows_of_a_turn_expire_and_purge_like_any_other(store, engine):
    await store.save(KEY, conversation(engine), None, NOW, event="evt-old")
    later = NOW + DEFAULT_CONVERSATION_TTL + timedelta(seconds=1)
    # on SQL the conversation and the event id; Redis expires its own keys
    assert await sql_of(store).purge_expired(later) == (2 if sql_of(store) is store else 0)
    assert await store.load(KEY, later) is None
    assert await store.first_time("evt-old", later)


async def test_a_finished_save_reads_back_from_the_history(store, engine):
    finished = entry(engine, 0).model_copy(update={"check_id": "c1:1"})
    await store.save(KEY, conversation(engine, 1), None, NOW, finished)
    assert (await store.history()).entries == [finished]
