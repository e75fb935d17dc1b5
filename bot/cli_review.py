"""The OSPO's commands: `policy check|init`, `review request`, `reviews` and `record`."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli_common import CommandError, fail, shown
from bot.core.reviews import Review, ReviewRefusedError, ReviewState
from bot.policy import EXAMPLE, Policy, PolicyError, load_policy, needs_review
from bot.settings import Settings
from bot.store.base import ConversationKey, Store, check_id
from bot.store.export import neutralise

if TYPE_CHECKING:
    from bot.advisor import Advisor

REVIEW_COLUMNS = ("id", "state", "name", "check_id", "platform", "workspace", "requester",
                  "requester_name", "requested_at", "decided_by", "decided_by_name", "decided_at",
                  "comment", "rereview_due")


def register(commands: Any) -> None:
    """Add the OSPO's commands to the main parser's subcommands."""
    from bot.cli import command  # noqa: PLC0415  (bot.cli imports this module while building)

    policy = command(commands, "policy", "check or write a company policy file")
    policy_commands = policy.add_subparsers(required=True, metavar="check|init")
    check = command(policy_commands, "check", "validate a policy file")
    check.add_argument("file", type=Path, metavar="FILE")
    check.set_defaults(run=_policy_check)
    init = command(policy_commands, "init", "write a commented example policy")
    init.add_argument("--output", type=Path, metavar="FILE", help="default: standard output")
    init.set_defaults(run=_policy_init)

    review = command(commands, "review", "request an OSPO review of a check")
    review_commands = review.add_subparsers(required=True, metavar="request")
    request = command(review_commands, "request",
                      "ask the OSPO to review a check, and post its card to the policy's "
                      "review channel when Slack or Teams is configured")
    request.add_argument("--check", required=True, metavar="ID", help="the check's id (history)")
    request.add_argument("--name", help="the code's short name or repository URL")
    request.add_argument("--user", help="who requests (default: the check's own user)")
    _policy_option(request)
    request.set_defaults(run=_review_request)

    reviews = command(commands, "reviews", "OSPO reviews, newest first")
    reviews.add_argument("--status", choices=[state.value for state in ReviewState],
                         help="only reviews in this state")
    reviews.add_argument("--format", choices=["csv", "json"], default="csv",
                         help="csv: one row per review; json: each review as stored "
                              "(default: csv)")
    reviews.set_defaults(run=_reviews)

    record = command(commands, "record", "the decision record of a check (Markdown)")
    record.add_argument("check_id", metavar="CHECK_ID")
    record.add_argument("--format", choices=["markdown"], default="markdown",
                        help="markdown: an architecture decision record (the only one)")
    record.set_defaults(run=_record)


def _policy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", type=Path, metavar="PATH",
                        help="the company policy file (default: POLICY_FILE)")


def _policy_check(args: argparse.Namespace) -> int:
    try:
        policy = load_policy(args.file)
    except PolicyError as error:
        return fail(str(error))
    except UnicodeDecodeError:
        return fail(f"{args.file}: the policy file is not UTF-8 text")
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
        return fail(f"{args.output} exists; choose another --output or remove it first")
    try:
        args.output.write_text(EXAMPLE, "utf-8")
    except OSError as error:
        return fail(f"cannot write --output {args.output}: {error.strerror or error}")
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


def policy_for(option: Path | None, settings: Settings) -> Policy | None:
    """The policy of --policy, else of POLICY_FILE, else None; a file that cannot be used is a
    CommandError naming which of the two gave it, then the file, the key and the problem."""
    source, path = ("--policy", option) if option is not None else (
        "POLICY_FILE", settings.policy_file)
    if path is None:
        return None
    try:
        return load_policy(path)
    except PolicyError as error:
        raise CommandError(f"{source} {error}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{source} {path}: the policy file is not UTF-8 text") from None


async def review_hint(advisor: Advisor, key: ConversationKey,
                      policy_file: Path | None = None) -> str:
    """After a terminal check: its id, and how to request the review the policy asks for."""
    done = await advisor.current(key)
    if done is None or not done.finished:
        return ""
    check = check_id(done)
    entry = await advisor.store.reviews.check(check)
    option = f" --policy {policy_file}" if policy_file is not None else ""
    hint = f"Check id: {check} (for `opensource-check record {check}`).\n"
    if entry is not None and needs_review(entry.recommendation, advisor.policy):
        hint += (f"Your company's policy asks for an OSPO review of this outcome: run "
                 f"`opensource-check review request --check {check} --name NAME{option}`.\n")
    return hint


def _review_request(args: argparse.Namespace) -> int:
    from bot.review import Person, ReviewDesk  # noqa: PLC0415

    settings = Settings()
    policy = policy_for(args.policy, settings)

    async def request(store: Store) -> int:
        entry = await store.reviews.check(args.check)
        if entry is None:
            return fail(f"there is no finished check {shown(args.check)} (see "
                        "`opensource-check history`, column check_id)")
        desk = ReviewDesk(store, policy)
        requester = Person(args.user or entry.user_id, entry.user_name)
        try:
            review, created = await desk.request(args.check, requester,
                                                 args.name or f"check {args.check}")
        except ReviewRefusedError as error:
            return fail(str(error))
        needless = " (the policy does not require a review of this outcome)"
        note = "" if desk.needed(entry) else needless
        again = "" if created else " (requested before)"
        print(f"Review {review.id} of {review.name}: {review.state.value}{again}{note}.")
        from bot.cli_post import post_review  # noqa: PLC0415  (the platform clients load here)

        print(await post_review(settings, policy, store, review))
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
            return fail(f"there is no finished check {shown(args.check_id)} (see "
                        "`opensource-check history`, column check_id)")
        print(decision_record(found.entry, found.review, found.events, Engine.default().flow),
              end="")
        return 0

    return _in_store(record)
