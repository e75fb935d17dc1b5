"""History export for reporting: CSV with one column per fact, or JSON with everything; each
check with its OSPO review's status and last decision."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from bot.core.reviews import Review
from bot.store.base import HistoryEntry, Store

PAGE_SIZE = 200
CSV_COLUMNS = ("completed_at", "platform", "workspace", "channel", "user_id", "user_name",
               "flow", "flow_version", "path", "governance", "target_governance", "flags",
               "review_in_months", "check_id", "review_id", "review_status", "review_name",
               "decided_by", "decided_at", "decision_comment")
NO_REVIEWS: Mapping[str, Review] = {}


async def collect(store: Store, *, user_id: str | None = None, workspace: str | None = None,
                  platform: str | None = None, limit: int | None = None) -> list[HistoryEntry]:
    """Up to `limit` (None: all) matching checks, newest first, read page by page."""
    entries: list[HistoryEntry] = []
    offset: int | None = 0
    while offset is not None and (limit is None or len(entries) < limit):
        size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(entries))
        page = await store.history(user_id=user_id, workspace=workspace, platform=platform,
                                   limit=size, offset=offset)
        entries += page.entries
        offset = page.next_offset
    return entries


def to_json(entries: Sequence[HistoryEntry], reviews: Mapping[str, Review] = NO_REVIEWS) -> str:
    """A JSON array of the entries, exactly as stored, each with its OSPO review (or null)."""
    return json.dumps([{**entry.model_dump(mode="json"), "review": _review_json(
        reviews.get(entry.check_id or ""))} for entry in entries], indent=2)


def _review_json(review: Review | None) -> dict[str, object] | None:
    return None if review is None else review.model_dump(mode="json")


def to_csv(entries: Sequence[HistoryEntry], questions: Sequence[str] = (),
           reviews: Mapping[str, Review] = NO_REVIEWS) -> str:
    """One row per check: the facts flattened, flags joined by ';', one column per answer.

    `questions` fixes the order of the answer columns (the flow's order); answers to questions
    not listed follow in the order first seen, so nothing is dropped.
    """
    answer_ids = list(questions)
    for entry in entries:
        answer_ids += [q for q in entry.answers if q not in answer_ids]
    out = io.StringIO()
    # RFC 4180's CRLF: csv quotes a field only for the characters of its line terminator, so
    # with "\n" alone a carriage return in a name would split its row.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, *(f"answer.{q}" for q in answer_ids)])
    for entry in entries:
        row = [*_facts(entry), *_review_facts(reviews.get(entry.check_id or "")),
               *(_cell(entry.answers.get(q, "")) for q in answer_ids)]
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, the form the JSON export uses, so CSV and JSON agree."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """OWASP's rule against CSV formula injection: text a spreadsheet would run as a formula
    (a display name like `=HYPERLINK(...)`) gets a leading quote. Numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _facts(entry: HistoryEntry) -> list[object]:
    rec = entry.recommendation
    return [timestamp(entry.completed_at), entry.platform, entry.workspace, entry.channel,
            entry.user_id, entry.user_name or "", entry.flow, entry.flow_version, rec.path.value,
            rec.governance.value, rec.target_governance.value if rec.target_governance else "",
            ";".join(flag.value for flag in rec.flags), rec.review_in_months, entry.check_id or ""]


def _review_facts(review: Review | None) -> list[object]:
    if review is None:
        return ["", "", "", "", "", ""]
    decided = timestamp(review.decided_at) if review.decided_at else ""
    return [review.id, review.state.value, review.name,
            review.decided_by_name or review.decided_by or "", decided, review.comment]


def _cell(answer: object) -> str:
    """One CSV cell: several answers (a list) are joined with `;`, as `assess` reads them."""
    return ";".join(answer) if isinstance(answer, list) else str(answer)
