"""The OSPO's commands: `policy check|init`, `review request`, `reviews` and `record`."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.reviews import Review, ReviewRefusedError, ReviewState
from bot.policy import EXAMPLE, Policy, PolicyError, load_policy, needs_review
from bot.settings import Settings
from bot.store.base import ConversationKey, Store, check_id
from bot.store.export import neutralise

if TYPE_CHECKING:
    from bot.advisor import Advisor

EXIT_USAGE = 2
REVIEW_COLUMNS = ("id", "state", "name", "check_id", "platform", "workspace", "requester",
                  "requester_name", "requested_at", "decided_by", "decided_by_name", "decided_at",
                  "comment", "rereview_due")


def register(commands: Any) -> None:
    """Add the OSPO's commands to the main parser's subcommands."""
    policy = commands.add_parser("policy", help="check or write a company policy file")
    policy_commands = policy.add_subparsers(required=True, metavar="check|init")
    check = policy_commands.add_parser("check", help="validate a policy file")
    check.add_argument("file", type=Path, metavar="FILE")
    check.set_defaults(run=_policy_check)
    init = policy_commands.add_parser("init", help="write a commented example policy")
    init.add_argument("--output", type=Path, metavar="FILE", help="default: standard output")
    init.set_defaults(run=_policy_init)

    review = commands.add_parser("review", help="request an OSPO review of a check")
    review_commands = review.add_subparsers(required=True, metavar="request")
    request = review_commands.add_parser("request", help="ask the OSPO to review a check")
    request.add_argument("--check", required=True, metavar="ID", help="the check's id (history)")
    request.add_argument("--name", help="the code's short name or repository URL")
    request.add_argument("--user", help="who requests (default: the check's own user)")
    _policy_option(request)
    request.set_defaults(run=_review_request)

    reviews = commands.add_parser("reviews", help="OSPO reviews, newest first")
    reviews.add_argument("--status", choices=[state.value for state in ReviewState])
    reviews.add_argument("--format", choices=["csv", "json"], default="csv")
    reviews.set_defaults(run=_reviews)

    record = commands.add_parser("record", help="the decision record of a check (Markdown)")
    record.add_argument("check_id", metavar="CHECK_ID")
    record.add_argument("--format", choices=["markdown"], default="markdown")
    record.set_defaults(run=_record)


def _policy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", type=Path, metavar="PATH",
                        help="the company policy file (default: POLICY_FILE)")


def _fail(message: str) -> int:
    print(f"opensource-check: {message}", file=sys.stderr)
    return EXIT_USAGE


def _policy_check(args: argparse.Namespace) -> int:
    try:
        policy = load_policy(args.file)
    except PolicyError as error:
        return _fail(str(error))
    print(f"{args.file}: valid. Reviews go to Slack channel {policy.slack.channel or '(none)'} "
          f"and Teams channel {policy.teams.channel or '(none)'}; "
          f"{len(policy.slack.reviewers) + len(policy.teams.reviewers)} reviewers listed"
          + (f" plus Slack group {policy.slack.reviewer_group}."
             if policy.slack.reviewer_group else "."))
    return 0


def _policy_init(args: argparse.Namespace) -> int:
    if args.output is None:
        print(EXAMPLE, end="")
        return 0
    if args.output.exists():
        return _fail(f"{args.output} exists; choose another --output or remove it first")
    args.output.write_text(EXAMPLE, "utf-8")
    print(f"wrote {args.output}: edit it, then run `opensource-check policy check {args.output}`")
    return 0


def _in_store(work: Callable[[Store], Awaitable[int]]) -> int:
    from bot.bootstrap import open_store  # noqa: PLC0415  (the store's drivers load when used)

    async def run() -> int:
        store = await open_store(Settings())
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def configured_policy_or_fail(settings: Settings) -> Policy | None:
    """POLICY_FILE's policy; a bad file ends the command with its message (status 2)."""
    if settings.policy_file is None:
        return None
    try:
        return load_policy(settings.policy_file)
    except PolicyError as error:
        raise SystemExit(_fail(str(error))) from None


async def review_hint(advisor: Advisor, key: ConversationKey) -> str:
    """After a terminal check: its id, and how to request the review the policy asks for."""
    done = await advisor.current(key)
    if done is None or not done.finished:
        return ""
    check = check_id(done)
    entry = await advisor.store.reviews.check(check)
    hint = f"Check id: {check} (for `opensource-check record {check}`).\n"
    if entry is not None and needs_review(entry.recommendation, advisor.policy):
        hint += (f"Your company's policy asks for an OSPO review of this outcome: run "
                 f"`opensource-check review request --check {check} --name NAME`.\n")
    return hint


def _policy_of(args: argparse.Namespace) -> Policy | None:
    path = args.policy or Settings().policy_file
    return None if path is None else load_policy(path)


def _review_request(args: argparse.Namespace) -> int:
    from bot.review import Person, ReviewDesk  # noqa: PLC0415

    try:
        policy = _policy_of(args)
    except PolicyError as error:
        return _fail(str(error))

    async def request(store: Store) -> int:
        entry = await store.reviews.check(args.check)
        if entry is None:
            return _fail(f"there is no finished check {args.check} (see `opensource-check "
                         "history`, column check_id)")
        desk = ReviewDesk(store, policy)
        requester = Person(args.user or entry.user_id, entry.user_name)
        try:
            review, _ = await desk.request(args.check, requester,
                                           args.name or f"check {args.check}")
        except ReviewRefusedError as error:
            return _fail(str(error))
        needless = " (the policy does not require a review of this outcome)"
        note = "" if desk.needed(entry) else needless
        print(f"Review {review.id} of {review.name}: {review.state.value}{note}. Reviewers see "
              "it in the Waiting for review queue and in `opensource-check reviews`.")
        return 0

    return _in_store(request)


def _reviews(args: argparse.Namespace) -> int:
    async def list_reviews(store: Store) -> int:
        state = ReviewState(args.status) if args.status else None
        found = await store.reviews.find(state=state)
        print(reviews_json(found) if args.format == "json" else reviews_csv(found), end="")
        return 0

    return _in_store(list_reviews)


def reviews_json(reviews: list[Review]) -> str:
    """The reviews as a JSON array."""
    return json.dumps([review.model_dump(mode="json") for review in reviews], indent=2) + "\n"


def reviews_csv(reviews: list[Review]) -> str:
    """One row per review; cells a spreadsheet would run as formulas are neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # CRLF, as the history export (RFC 4180)
    writer.writerow(REVIEW_COLUMNS)
    for review in reviews:
        data = review.model_dump(mode="json")
        writer.writerow([neutralise("" if data[c] is None else data[c]) for c in REVIEW_COLUMNS])
    return out.getvalue()


def _record(args: argparse.Namespace) -> int:
    from bot.core.engine import Engine  # noqa: PLC0415
    from bot.records import decision_record  # noqa: PLC0415
    from bot.review import ReviewDesk  # noqa: PLC0415

    async def record(store: Store) -> int:
        found = await ReviewDesk(store, None).record(args.check_id)
        if found is None:
            return _fail(f"there is no finished check {args.check_id} (see `opensource-check "
                         "history`, column check_id)")
        print(decision_record(found.entry, found.review, found.events, Engine.default().flow),
              end="")
        return 0

    return _in_store(record)
