"""The `opensource-check` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from bot.core.engine import Engine, InvalidAnswerError, MissingAnswerError
from bot.core.outcomes import (
    FLAG_TITLES,
    GOVERNANCE_TITLES,
    PATH_TITLES,
    Evidence,
    Recommendation,
)
from bot.settings import Settings
from bot.store.base import Store

if TYPE_CHECKING:
    from bot.scan.evidence import Default

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    return int(args.run(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opensource-check",
        description="Should this code stay closed, become InnerSource, or go open source?")
    commands = parser.add_subparsers(required=True, metavar="command")
    chat = commands.add_parser("chat", help="run the check in the terminal")
    chat.add_argument("--evidence", type=Path, metavar="FILE",
                      help="a `scan --format json` report: its suggestions are offered as "
                           "defaults, with what was found")
    chat.set_defaults(run=_chat)
    assess = commands.add_parser("assess", help="recommend for an answers file")
    assess.add_argument("--answers", required=True, metavar="FILE",
                        help="JSON object of {question id: option id}; - for standard input")
    assess.add_argument("--format", choices=["json", "markdown", "text"], default="text")
    assess.add_argument("--evidence", type=Path, metavar="FILE",
                        help="a `scan --format json` report: its suggestions fill unanswered "
                             "questions, and the recommendation lists the evidence it used")
    assess.add_argument("--fail-on-blocking", action="store_true",
                        help="with --evidence: exit 1 when a finding blocks the recommended path")
    assess.set_defaults(run=_assess)
    _add_scan(commands)
    flow = commands.add_parser("flow", help="print the conversation's state diagram")
    flow.add_argument("--format", choices=["mermaid"], default="mermaid")
    flow.set_defaults(run=_flow)
    schema = commands.add_parser("schema", help="JSON Schema of answers and recommendation")
    schema.set_defaults(run=_schema)
    history = commands.add_parser("history", help="completed checks, newest first, for reports")
    history.add_argument("--format", choices=["csv", "json"], default="csv")
    history.add_argument("--workspace", help="only this Slack workspace or Teams tenant id")
    history.add_argument("--user", help="only this platform user id")
    history.add_argument("--platform", choices=["slack", "teams", "terminal"])
    history.add_argument("--limit", type=int, metavar="N", help="at most N checks (default: all)")
    history.set_defaults(run=_history)
    history_commands = history.add_subparsers(metavar="purge")
    purge = history_commands.add_parser("purge", help="delete checks past the retention period")
    purge.add_argument("--older-than-days", type=int, metavar="N",
                       help="default: HISTORY_RETENTION_DAYS")
    purge.set_defaults(run=_purge)
    forget = commands.add_parser("forget", help="erase one person's checks and conversations")
    forget.add_argument("--user", required=True, help="the platform user id")
    forget.add_argument("--platform", choices=["slack", "teams", "terminal"],
                        help="only on this platform (default: every platform)")
    forget.set_defaults(run=_forget)
    serve = commands.add_parser("serve", help="run the Slack and Teams server")
    serve.add_argument("--port", type=int, help="HTTP port (default: PORT, else 3000)")
    serve.add_argument("--host", help="interface to bind (default: HOST, else 0.0.0.0; "
                                      "127.0.0.1 for anonymous Teams)")
    serve.add_argument("--teams", action="store_true",
                       help="serve Teams even without MICROSOFT_APP_ID (local anonymous mode)")
    serve.add_argument("--policy", type=Path, metavar="PATH",
                       help="the company policy file (default: POLICY_FILE)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="server processes on the port, one per core (default: 1)")
    serve.set_defaults(run=_serve)
    package = commands.add_parser("teams-package", help="write the Teams app package to upload")
    package.add_argument("--app-id", help="the bot's Microsoft App ID (default: MICROSOFT_APP_ID)")
    package.add_argument("--output", type=Path, default=Path("opensource-check-teams.zip"),
                         metavar="FILE", help="where to write the zip")
    package.set_defaults(run=_teams_package)
    key = commands.add_parser("generate-key", help="print a new ENCRYPTION_KEY (Fernet)")
    key.set_defaults(run=_generate_key)
    rotate = commands.add_parser("rotate-keys",
                                 help="re-encrypt stored Slack tokens with the newest key")
    rotate.set_defaults(run=_rotate_keys)
    from bot.cli_review import register  # noqa: PLC0415  (the OSPO's commands live apart)

    register(commands)
    return parser


def _chat(args: argparse.Namespace) -> int:
    defaults = None
    if args.evidence is not None:
        from bot.scan.evidence import EvidenceError, defaults_from  # noqa: PLC0415

        try:
            defaults = defaults_from(args.evidence, Engine.default().options)
        except EvidenceError as error:
            return _fail(str(error))
    return asyncio.run(_chat_in_store(defaults))


async def _chat_in_store(defaults: Mapping[str, Default] | None = None) -> int:
    """The terminal check, saved turn by turn in the default store so it can be resumed."""
    from bot.advisor import Advisor  # noqa: PLC0415  (the store's drivers load only when used)
    from bot.bootstrap import open_store  # noqa: PLC0415
    from bot.cli_review import configured_policy_or_fail, review_hint  # noqa: PLC0415
    from bot.platforms.terminal import chat  # noqa: PLC0415  (rich rendering only for chat)
    from bot.settings import Settings  # noqa: PLC0415
    from bot.store.base import ConversationKey  # noqa: PLC0415

    settings = Settings()
    policy = configured_policy_or_fail(settings)
    store = await open_store(settings)
    try:
        key = ConversationKey("terminal", "local", "chat", _terminal_user())
        advisor = Advisor(Engine.default(), store, policy=policy)
        finished = await chat(advisor, key, Console(), input, defaults)
        if finished == 0:
            print(await review_hint(advisor, key), end="")
        return finished
    finally:
        await store.close()


def _terminal_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no password entry (some containers)
        return "local"


def _history(args: argparse.Namespace) -> int:
    return asyncio.run(_export_history(args))


async def _export_history(args: argparse.Namespace) -> int:
    """Print the matching completed checks, newest first, as CSV or JSON."""
    from bot.bootstrap import open_store  # noqa: PLC0415
    from bot.settings import Settings  # noqa: PLC0415
    from bot.store.export import collect, to_csv, to_json  # noqa: PLC0415

    store = await open_store(Settings())
    try:
        entries = await collect(store, user_id=args.user, workspace=args.workspace,
                                platform=args.platform, limit=args.limit)
        reviews = await store.reviews.for_checks([e.check_id for e in entries if e.check_id])
    finally:
        await store.close()
    if args.format == "json":
        print(to_json(entries, reviews))
    else:
        print(to_csv(entries, list(Engine.default().options), reviews), end="")
    return 0


def _with_store(work: Callable[[Store, Settings], Awaitable[int]]) -> int:
    """Run `work` against the configured store, closing it afterwards."""
    from bot.bootstrap import open_store  # noqa: PLC0415

    async def run() -> int:
        settings = Settings()
        store = await open_store(settings)
        try:
            return await work(store, settings)
        finally:
            await store.close()

    return asyncio.run(run())


def _purge(args: argparse.Namespace) -> int:
    async def purge(store: Store, settings: Settings) -> int:
        days = args.older_than_days
        if days is None:
            days = settings.history_retention_days
        gone = await store.purge_history(datetime.now(UTC) - timedelta(days=days))
        print(f"Deleted {gone} checks completed more than {days} days ago.")
        return 0

    return _with_store(purge)


def _forget(args: argparse.Namespace) -> int:
    async def forget(store: Store, _: Settings) -> int:
        gone = await store.forget_user(args.user, args.platform)
        print(f"Erased {gone} records of user {args.user}.")
        return 0

    return _with_store(forget)


def _assess(args: argparse.Namespace) -> int:
    engine = Engine.default()
    try:
        text = sys.stdin.read() if args.answers == "-" else Path(args.answers).read_text("utf-8")
        answers = json.loads(text)
    except (OSError, json.JSONDecodeError) as error:
        return _fail(f"cannot read answers from {args.answers}: {error}")
    if not isinstance(answers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in answers.items()
    ):
        return _fail("the answers file must be a JSON object of {question id: option id}")
    report = None
    if args.evidence is not None:
        from bot.scan.evidence import EvidenceError, load_report, merge  # noqa: PLC0415

        try:
            report = load_report(args.evidence)
        except EvidenceError as error:
            return _fail(str(error))
        answers, used = merge(answers, report.suggestions, engine.options)
    try:
        asked, rec = engine.assess(answers)
    except InvalidAnswerError as error:
        return _fail(str(error))
    except MissingAnswerError as error:
        return _fail(f"missing answer for question '{error.question}' "
                     f"(options: {', '.join(engine.options[error.question])})")
    if report is not None:
        from bot.scan.evidence import with_evidence  # noqa: PLC0415

        rec = with_evidence(rec, used, asked)
    print(_FORMATS[args.format](rec))
    return _blocking_exit(report, rec) if args.fail_on_blocking else 0


def _fail(message: str) -> int:
    print(f"opensource-check: {message}", file=sys.stderr)
    return EXIT_USAGE


def _as_markdown(rec: Recommendation) -> str:
    lines = [f"# {PATH_TITLES[rec.path]}: {GOVERNANCE_TITLES[rec.governance]}", "", "## Why", ""]
    lines += [f"- {r.reason} (`{r.question}` = `{r.answer}`)" for r in rec.rationale]
    if rec.flag_notes:
        lines += ["", "## Flags", ""]
        lines += [f"- **{FLAG_TITLES[n.flag]}**: {n.action}" for n in rec.flag_notes]
    lines += ["", "## Next steps", ""] + [f"1. {s}" for s in rec.next_steps]
    if rec.what_would_change:
        lines += ["", "## What would change the advice", ""]
        lines += [f"- {c.said}: {PATH_TITLES[c.path]}, "
                  f"{GOVERNANCE_TITLES[c.governance]}" for c in rec.what_would_change.all]
    lines += ["", "## Learn more", ""] + [f"- [{k.title}]({k.url})" for k in rec.learn_more]
    if rec.evidence:
        lines += ["", "## Evidence used", ""] + [f"- {_evidence_line(e)}" for e in rec.evidence]
    return "\n".join(lines)


def _evidence_line(evidence: Evidence) -> str:
    answer = evidence.answer if isinstance(evidence.answer, str) else ", ".join(evidence.answer)
    return f"{evidence.question} = {answer} ({evidence.confidence:.0%}): {evidence.detail}"


def _as_text(rec: Recommendation) -> str:
    lines = [rec.headline, "", "Why:"] + [f"  - {r.reason}" for r in rec.rationale]
    lines += ["", "Flags:"] + [f"  - {FLAG_TITLES[n.flag]}: {n.action}" for n in rec.flag_notes]
    lines += ["", "Next steps:"] + [f"  {i}. {s}" for i, s in enumerate(rec.next_steps, 1)]
    if rec.evidence:
        lines += ["", "Evidence used:"] + [f"  - {_evidence_line(e)}" for e in rec.evidence]
    return "\n".join(lines)


_FORMATS = {
    "json": lambda rec: rec.model_dump_json(indent=2),
    "markdown": _as_markdown,
    "text": _as_text,
}


def _flow(_: argparse.Namespace) -> int:
    print(flow_diagram(Engine.default()))
    return 0


def flow_diagram(engine: Engine) -> str:
    """The mermaid state diagram, drawn by transitions from the engine's own machine config."""
    from transitions.extensions import GraphMachine  # noqa: PLC0415  (only this command draws)

    graph = GraphMachine(model=None, auto_transitions=False, graph_engine="mermaid",
                         show_conditions=True, title=engine.flow.title, **engine.machine_config)

    class Model:
        pass

    model = Model()
    graph.add_model(model)
    source: str = model.get_graph().draw(None)  # type: ignore[attr-defined]
    # Drop the styling of the machine's current state: the diagram is about the flow itself.
    lines = [line.rstrip() for line in source.splitlines()]
    return "\n".join(line for line in lines if not line.lstrip().startswith(("classDef", "Class ")))


def _serve(args: argparse.Namespace) -> int:
    from bot.bootstrap import serve  # noqa: PLC0415  (only the server needs aiohttp)
    from bot.errors import ConfigurationError  # noqa: PLC0415
    from bot.observability import configure_logging  # noqa: PLC0415
    from bot.settings import Settings  # noqa: PLC0415

    settings = Settings()
    if args.host:
        settings = settings.model_copy(update={"host": args.host})
    if args.policy is not None:
        settings = settings.model_copy(update={"policy_file": args.policy})
    configure_logging(settings.log_level, settings.log_format)
    port = args.port if args.port is not None else settings.port
    try:
        if args.workers != 1:
            from bot.workers import serve_workers  # noqa: PLC0415  (bot/workers.py)

            return serve_workers(args.workers, settings, port=port,
                                 teams=True if args.teams else None)
        serve(settings, port=port, teams=True if args.teams else None)
    except ConfigurationError as error:
        return _fail(str(error))
    return 0


def _teams_package(args: argparse.Namespace) -> int:
    from bot.platforms.teams_package import write_package  # noqa: PLC0415
    from bot.settings import Settings  # noqa: PLC0415

    app_id = args.app_id or Settings().microsoft_app_id
    if not app_id:
        return _fail("teams-package needs the bot's app id: pass --app-id or set MICROSOFT_APP_ID")
    try:
        written = write_package(app_id, args.output)
    except ValueError as error:
        return _fail(str(error))
    print(f"wrote {written}: upload it in Teams (Apps > Manage your apps > Upload an app)")
    return 0


def _generate_key(_: argparse.Namespace) -> int:
    from bot.crypto import generate_key  # noqa: PLC0415

    print(generate_key())
    return 0


def _rotate_keys(_: argparse.Namespace) -> int:
    from bot.crypto import DecryptionError, TokenCipher  # noqa: PLC0415
    from bot.platforms.slack_oauth import rotate_tokens  # noqa: PLC0415

    settings = Settings()
    if settings.encryption_key is None:
        return _fail("set ENCRYPTION_KEY to the new key, then the old ones, comma separated")
    cipher = TokenCipher(settings.encryption_key.get_secret_value())

    async def rotate(store: Store, _: Settings) -> int:
        try:
            count = await rotate_tokens(store, cipher)
        except DecryptionError as error:
            return _fail(f"{error}; keep the old key in ENCRYPTION_KEY until rotation is done")
        print(f"Re-encrypted {count} Slack installation tokens with the newest key.")
        return 0

    return _with_store(rotate)


def _schema(_: argparse.Namespace) -> int:
    engine = Engine.default()
    answers = {
        "title": "opensource-check answers",
        "type": "object",
        "additionalProperties": False,
        "properties": {q: {"enum": opts} for q, opts in engine.options.items()},
    }
    print(json.dumps({"answers": answers, "recommendation": Recommendation.model_json_schema()},
                     indent=2))
    return 0


def _add_scan(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = commands.add_parser("scan", help="find licences, secrets, personal data and more in "
                                            "a git checkout, and suggest answers")
    scan.add_argument("path", type=Path, metavar="PATH", help="the top of a git checkout")
    scan.add_argument("--format", choices=["json", "markdown", "text"], default="text")
    scan.add_argument("--policy", type=Path, metavar="FILE",
                      help="YAML: authorship (entities, contractors, partners) and "
                           "internal_patterns")
    scan.add_argument("--output", type=Path, metavar="FILE", help="write the report here")
    scan.add_argument("--summary", type=Path, metavar="FILE",
                      help="also append the Markdown report here (e.g. $GITHUB_STEP_SUMMARY)")
    scan.add_argument("--fail-on", metavar="KINDS", default="",
                      help="comma-separated: secrets, copyleft, personal_data, encryption, "
                           "internal; exit 1 when any is found")
    scan.set_defaults(run=_scan)


def _scan(args: argparse.Namespace) -> int:
    from bot.scan.cli import run_scan  # noqa: PLC0415  (the detectors load only for a scan)

    return run_scan(args.path, output_format=args.format, policy_file=args.policy,
                    output=args.output, fail_on=args.fail_on, summary=args.summary)


def _blocking_exit(report: object, rec: Recommendation) -> int:
    from bot.scan.cli import blocking_exit  # noqa: PLC0415

    return blocking_exit(report, rec)


if __name__ == "__main__":
    sys.exit(main())
