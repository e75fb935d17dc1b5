"""The `opensource-check` command line."""

from __future__ import annotations

import argparse
import asyncio
import errno
import getpass
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError
from rich.console import Console

from bot.cli_common import (
    EXIT_ENVIRONMENT,
    EXIT_USAGE,
    CommandError,
    cut_long,
    fail,
    shown,
)
from bot.core.answers import read_answers as canonical_answers
from bot.core.engine import Engine, InvalidAnswerError, MissingAnswerError
from bot.core.flow import FlowDefinition
from bot.core.outcomes import AnswerValue, Recommendation
from bot.errors import ConfigurationError, StoreUnavailableError
from bot.report import build, to_markdown, to_text
from bot.settings import Settings
from bot.store.base import Store

if TYPE_CHECKING:
    from bot.scan.evidence import Default

EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report a SIGINT


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: a message and an exit status, never a traceback."""
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001  (each becomes one line; a bug too, for users)
        return _report(error)


def _report(error: Exception) -> int:
    """One line on standard error for what went wrong; the exit status it means."""
    if isinstance(error, BrokenPipeError):  # `history | head`: the reader left, no complaint
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ENVIRONMENT
    if isinstance(error, CommandError):
        return fail(str(error), error.code)
    if isinstance(error, ConfigurationError):
        return fail(str(error), EXIT_USAGE)
    if isinstance(error, StoreUnavailableError):
        return fail(str(error), EXIT_ENVIRONMENT)
    if isinstance(error, ValidationError) and error.title == "Settings":
        return fail(_setting_problem(error), EXIT_USAGE)
    return fail(f"unexpected {type(error).__name__}: {error} (this is a bug; please report it "
                "with the command you ran)", EXIT_ENVIRONMENT)


def _setting_problem(error: ValidationError) -> str:
    """A bad setting, named as the environment spells it, with the value cut."""
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "a setting"
    value = first.get("input")
    given = f" (got {shown(value)})" if isinstance(value, str) else ""
    return f"the setting {name} is invalid: {first['msg']}{given}"


class _Parser(argparse.ArgumentParser):
    """argparse, with long echoed values in its errors cut to a readable length."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {cut_long(message)}\n")


def command(commands: argparse._SubParsersAction[Any], name: str,
            summary: str, **options: Any) -> argparse.ArgumentParser:
    """A subcommand whose --help starts with its one-line summary."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=summary[0].upper() + summary[1:] + ".", **options)
    return parser


def _count(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {shown(text)}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value

    parse.__name__ = "count"
    return parse


def _not_blank(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _version() -> str:
    try:
        return version("opensource-check")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="opensource-check",
        description="Should this code stay closed, become InnerSource, or go open source?")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(required=True, metavar="command")
    chat = command(commands, "chat", "run the check in the terminal")
    chat.add_argument("--evidence", type=Path, metavar="FILE",
                      help="a `scan --format json` report: its suggestions are offered as "
                           "defaults, with what was found")
    _policy_option(chat)
    chat.set_defaults(run=_chat)
    assess = command(commands, "assess", "recommend for an answers file")
    assess.add_argument("--answers", required=True, metavar="FILE",
                        help="JSON object of {question id: option id}; - for standard input")
    assess.add_argument("--format", choices=["json", "markdown", "text"], default="text",
                        help="json: the recommendation contract (`schema recommendation`); "
                             "markdown or text: for people (default: text)")
    assess.add_argument("--evidence", type=Path, metavar="FILE",
                        help="a `scan --format json` report: its suggestions fill unanswered "
                             "questions, and the recommendation lists the evidence it used")
    assess.add_argument("--fail-on-blocking", action="store_true",
                        help="with --evidence: exit 1 when a finding blocks the recommended path")
    _policy_option(assess)
    assess.set_defaults(run=_assess)
    _add_scan(commands)
    flow = command(commands, "flow", "print the conversation's state diagram")
    flow.add_argument("--format", choices=["mermaid"], default="mermaid",
                      help="mermaid: a stateDiagram GitHub renders (the only one)")
    flow.set_defaults(run=_flow)
    schema = command(commands, "schema", "print the JSON Schema of an answers file or of "
                                         "the recommendation")
    schema.add_argument("kind", choices=["answers", "recommendation"],
                        help="answers: what `assess --answers` takes; recommendation: what "
                             "`assess --format json` prints")
    schema.set_defaults(run=_schema)
    _add_history(commands)
    forget = command(commands, "forget", "erase one person's checks and conversations")
    forget.add_argument("--user", required=True, type=_not_blank,
                        help="the platform user id (a terminal check's is the login name)")
    forget.add_argument("--platform", choices=["slack", "teams", "terminal"],
                        help="only on this platform (default: every platform)")
    forget.set_defaults(run=_forget)
    serve = command(commands, "serve", "run the Slack and Teams server")
    serve.add_argument("--port", type=_count(0), help="HTTP port (default: PORT, else 3000)")
    serve.add_argument("--host", help="interface to bind (default: HOST, else 0.0.0.0; "
                                      "127.0.0.1 for anonymous Teams)")
    serve.add_argument("--teams", action="store_true",
                       help="serve Teams even without MICROSOFT_APP_ID (local anonymous mode)")
    _policy_option(serve)
    serve.add_argument("--workers", type=_count(1), default=1, metavar="N",
                       help="server processes on the port, one per core (default: 1)")
    serve.set_defaults(run=_serve)
    package = command(commands, "teams-package", "write the Teams app package to upload")
    package.add_argument("--app-id", help="the bot's Microsoft App ID (default: MICROSOFT_APP_ID)")
    package.add_argument("--manifest", type=Path, metavar="PATH",
                         help="your copy of teams/manifest.json, with your developer name and "
                              "URLs; its icons are taken from its folder, else the packaged "
                              "ones (default: the packaged manifest)")
    package.add_argument("--allow-example", action="store_true",
                         help="package the example developer name and URLs (a test install)")
    package.add_argument("--output", type=Path, default=Path("opensource-check-teams.zip"),
                         metavar="FILE", help="where to write the zip "
                                              "(default: opensource-check-teams.zip)")
    package.set_defaults(run=_teams_package)
    key = command(commands, "generate-key", "print a new ENCRYPTION_KEY (Fernet)")
    key.set_defaults(run=_generate_key)
    rotate = command(commands, "rotate-keys", "re-encrypt stored Slack tokens with the newest key")
    rotate.set_defaults(run=_rotate_keys)
    from bot.cli_review import register  # noqa: PLC0415  (the OSPO's commands live apart)

    register(commands)
    return parser


def _policy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", type=Path, metavar="PATH",
                        help="the company policy file (default: POLICY_FILE)")


HISTORY_USAGE = """%(prog)s [-h] [--format {csv,json}] [--workspace ID] [--user ID]
                                [--platform {slack,teams,terminal}] [--limit N]
       %(prog)s purge [-h] [--older-than-days N] (--yes | --dry-run)"""


def _add_history(commands: argparse._SubParsersAction[Any]) -> None:
    history = command(commands, "history", "completed checks, newest first, for reports",
                      usage=HISTORY_USAGE,
                      epilog="A terminal check is stored under platform `terminal`, workspace "
                             "`local` and the login name as user id, in the database "
                             "DATABASE_URL names (default: SQLite in the user data folder).")
    history.add_argument("--format", choices=["csv", "json"], default="csv",
                         help="csv: one row per check, one column per answer; json: each check "
                              "as stored (default: csv)")
    history.add_argument("--workspace", metavar="ID",
                         help="only this Slack workspace or Teams tenant id (terminal: local)")
    history.add_argument("--user", metavar="ID", help="only this platform user id")
    history.add_argument("--platform", choices=["slack", "teams", "terminal"])
    history.add_argument("--limit", type=_count(1), metavar="N",
                         help="at most N checks (default: all)")
    history.set_defaults(run=_history)
    history_commands = history.add_subparsers(metavar="purge", title="to delete old checks")
    purge = command(history_commands, "purge", "delete checks past the retention period",
                    prog="opensource-check history purge")
    purge.add_argument("--older-than-days", type=_count(0), metavar="N",
                       help="default: HISTORY_RETENTION_DAYS")
    confirm = purge.add_mutually_exclusive_group(required=True)
    confirm.add_argument("--yes", action="store_true", help="delete them")
    confirm.add_argument("--dry-run", action="store_true",
                         help="only say how many would be deleted")
    purge.set_defaults(run=_purge)


def _chat(args: argparse.Namespace) -> int:
    defaults = None
    if args.evidence is not None:
        from bot.scan.evidence import EvidenceError, defaults_from  # noqa: PLC0415

        try:
            defaults = defaults_from(args.evidence, Engine.default().options)
        except EvidenceError as error:
            return fail(str(error))
    return asyncio.run(_chat_in_store(defaults, args.policy))


async def _chat_in_store(defaults: Mapping[str, Default] | None = None,
                         policy_file: Path | None = None) -> int:
    """The terminal check, saved turn by turn in the default store so it can be resumed."""
    from bot.advisor import Advisor  # noqa: PLC0415  (the store's drivers load only when used)
    from bot.bootstrap import open_store  # noqa: PLC0415
    from bot.cli_review import policy_for, review_hint  # noqa: PLC0415
    from bot.platforms.terminal import chat  # noqa: PLC0415  (rich rendering only for chat)
    from bot.settings import Settings  # noqa: PLC0415
    from bot.store.base import ConversationKey  # noqa: PLC0415

    settings = Settings()
    policy = policy_for(policy_file, settings)
    store = await open_store(settings)
    try:
        key = ConversationKey("terminal", TERMINAL_WORKSPACE, "chat", _terminal_user())
        advisor = Advisor(Engine.default(), store, policy=policy)
        finished = await chat(advisor, key, Console(), input, defaults)
        if finished == 0:
            print(await review_hint(advisor, key, policy_file), end="")
        return finished
    finally:
        await store.close()


TERMINAL_WORKSPACE = "local"  # a terminal check's workspace; its user id is the login name


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
        cutoff = datetime.now(UTC) - timedelta(days=days)
        if args.dry_run:
            from bot.store.export import collect  # noqa: PLC0415

            old = [e for e in await collect(store) if e.completed_at < cutoff]
            print(f"Would delete {len(old)} checks completed more than {days} days ago "
                  "(run again with --yes to delete them).")
            return 0
        gone = await store.purge_history(cutoff)
        print(f"Deleted {gone} checks completed more than {days} days ago.")
        return 0

    return _with_store(purge)


def _forget(args: argparse.Namespace) -> int:
    async def forget(store: Store, _: Settings) -> int:
        gone = await store.forget_user(args.user, args.platform)
        print(f"Erased {gone} records of user {shown(args.user)}.")
        return 0

    return _with_store(forget)


ANSWERS_SHAPE = 'a JSON object of {question id: option id}, e.g. {"upstream": "fork"}'


def read_answers(source: str) -> dict[str, object]:
    """The answers in `source` (a file, or - for standard input); CommandError saying what is
    wrong in the user's terms. UTF-8, with or without a byte order mark."""
    where = "standard input" if source == "-" else shown(source)
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read answers from {where}: "
                           f"{error.strerror or error}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CommandError(f"the answers in {where} are UTF-16 text: save them as UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f"the answers in {where} are not text (not UTF-8): give "
                           f"{ANSWERS_SHAPE}") from None
    if not text.strip():
        raise CommandError(f"the answers in {where} are empty: give {ANSWERS_SHAPE}")
    try:
        answers = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"cannot read answers from {where}: not JSON at line "
                           f"{error.lineno}, column {error.colno} ({error.msg}); give "
                           f"{ANSWERS_SHAPE}") from None
    if not isinstance(answers, dict):
        raise CommandError(f"the answers in {where} must be {ANSWERS_SHAPE}, not "
                           f"{_json_kind(answers)}")
    return answers  # each answer is checked against its question by the engine


def _json_kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "true or false",
             int: "a number", float: "a number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def _assess(args: argparse.Namespace) -> int:
    engine = Engine.default()
    from bot.cli_review import policy_for  # noqa: PLC0415
    from bot.policy import apply_policy, needs_review  # noqa: PLC0415

    policy = policy_for(args.policy, Settings())
    answers: Any = read_answers(args.answers)  # merge may add multi-answer lists
    report = None
    if args.evidence is not None:
        from bot.scan.evidence import EvidenceError, load_report, merge  # noqa: PLC0415

        try:
            report = load_report(args.evidence)
        except EvidenceError as error:
            return fail(str(error))
        answers, used = merge(answers, report.suggestions, engine.options)
    try:
        asked, rec = engine.assess(answers)
    except InvalidAnswerError as error:
        return fail(str(error))
    except MissingAnswerError as error:
        return fail(f"missing answer for question '{error.question}' "
                     f"(options: {', '.join(engine.options[error.question])})")
    if report is not None:
        from bot.scan.evidence import with_evidence  # noqa: PLC0415

        rec = with_evidence(rec, used, asked)
    rec = apply_policy(rec, policy)
    given = canonical_answers(engine.flow, answers)
    print(_render(args.format, rec, engine.flow, {q: given[q] for q in asked}))
    if args.format != "json" and needs_review(rec, policy):
        print("\nYour company's policy asks for an OSPO review of this outcome: run the check "
              "with `opensource-check chat`, then `opensource-check review request`.")
    return _blocking_exit(report, rec) if args.fail_on_blocking else 0


def _render(form: str, rec: Recommendation, flow: FlowDefinition,
            answers: dict[str, AnswerValue]) -> str:
    """`assess`'s output: the contract as JSON, or the report every surface shares."""
    if form == "json":
        return rec.model_dump_json(indent=2)
    report = build(rec, flow, answers)
    return to_markdown(report) if form == "markdown" else to_text(report)


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
    from bot.cli_review import policy_for  # noqa: PLC0415
    from bot.observability import configure_logging  # noqa: PLC0415
    from bot.settings import Settings  # noqa: PLC0415

    settings = Settings()
    if args.host:
        settings = settings.model_copy(update={"host": args.host})
    if args.policy is not None:
        policy_for(args.policy, settings)  # its problems named as --policy's, not POLICY_FILE's
        settings = settings.model_copy(update={"policy_file": args.policy})
    configure_logging(settings.log_level, settings.log_format)
    port = args.port if args.port is not None else settings.port
    try:
        if args.workers != 1:
            from bot.workers import serve_workers  # noqa: PLC0415  (bot/workers.py)

            return serve_workers(args.workers, settings, port=port,
                                 teams=True if args.teams else None)
        serve(settings, port=port, teams=True if args.teams else None)
    except OSError as error:
        return fail(_bind_problem(error, settings, port), _bind_exit(error))
    _leave_stuck_threads()
    return 0


def _leave_stuck_threads() -> None:
    """The shutdown deadline is a hard limit: a worker thread still blocked on a silent
    endpoint (an SDK's synchronous call) would otherwise hold the exit until its socket gives
    up, since Python joins worker threads at exit. Exit without waiting for them."""
    import logging  # noqa: PLC0415
    import threading  # noqa: PLC0415

    stuck = [thread for thread in threading.enumerate()
             if thread is not threading.main_thread() and thread.is_alive() and not thread.daemon]
    if stuck:
        logging.getLogger(__name__).warning(
            "shutdown: %d worker threads still blocked at the deadline; exiting without them",
            len(stuck))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _bind_problem(error: OSError, settings: Settings, port: int) -> str:
    """What went wrong binding the server's ports, naming the setting to change."""
    metrics = settings.metrics_port
    which = ("METRICS_PORT", metrics) if metrics and f", {metrics})" in str(error) else (
        "PORT or --port", port)
    host = settings.host or "the default interface"
    if error.errno == errno.EADDRINUSE:
        return (f"port {which[1]} is already in use ({which[0]}): stop what listens there or "
                "choose another port")
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {which[1]} ({which[0]}): choose a port above 1023"
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        return (f"cannot listen on {shown(host)} (HOST or --host): not an address of this "
                "machine")
    return f"cannot listen on port {which[1]} ({which[0]}): {error.strerror or error}"


def _bind_exit(error: OSError) -> int:
    bad_host = isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL
    return EXIT_USAGE if bad_host else EXIT_ENVIRONMENT


def _teams_package(args: argparse.Namespace) -> int:
    from bot.platforms.teams.package import PackageError, write_package  # noqa: PLC0415
    from bot.settings import Settings  # noqa: PLC0415

    app_id = args.app_id or Settings().microsoft_app_id
    if not app_id:
        return fail("teams-package needs the bot's app id: pass --app-id or set MICROSOFT_APP_ID")
    try:
        written = write_package(app_id, args.output, args.manifest,
                                allow_example=args.allow_example)
    except PackageError as error:
        return fail(str(error))
    print(f"wrote {written}: upload it in Teams (Apps > Manage your apps > Upload an app)")
    return 0


def _generate_key(_: argparse.Namespace) -> int:
    from bot.crypto import generate_key  # noqa: PLC0415

    print(generate_key())
    return 0


def _rotate_keys(_: argparse.Namespace) -> int:
    from bot.crypto import DecryptionError, TokenCipher  # noqa: PLC0415
    from bot.platforms.slack.oauth import rotate_tokens  # noqa: PLC0415

    settings = Settings()
    if settings.encryption_key is None:
        return fail("set ENCRYPTION_KEY to the new key, then the old ones, comma separated")
    try:
        cipher = TokenCipher(settings.encryption_key.get_secret_value())
    except ValueError as error:  # the message names ENCRYPTION_KEY, never the keys
        return fail(str(error))

    async def rotate(store: Store, _: Settings) -> int:
        try:
            count = await rotate_tokens(store, cipher)
        except DecryptionError as error:
            return fail(f"{error}; keep the old key in ENCRYPTION_KEY until rotation is done")
        print(f"Re-encrypted {count} Slack installation tokens with the newest key.")
        return 0

    return _with_store(rotate)


JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"


def answers_schema(engine: Engine) -> dict[str, Any]:
    """The JSON Schema of an answers file: each question's option ids (a list of them, or one,
    for a question that takes several), nothing else."""
    properties: dict[str, Any] = {}
    for question in engine.flow.questions:
        one = {"enum": [option.id for option in question.options]}
        properties[question.id] = one if not question.multiple else {"anyOf": [
            one, {"type": "array", "items": one, "minItems": 1, "uniqueItems": True}]}
    return {"$schema": JSON_SCHEMA, "title": "opensource-check answers", "type": "object",
            "additionalProperties": False, "properties": properties}


def recommendation_schema() -> dict[str, Any]:
    """The JSON Schema of `assess --format json`'s output."""
    return {"$schema": JSON_SCHEMA, **Recommendation.model_json_schema()}


def _schema(args: argparse.Namespace) -> int:
    schema = (answers_schema(Engine.default()) if args.kind == "answers"
              else recommendation_schema())
    print(json.dumps(schema, indent=2))
    return 0


def _add_scan(commands: argparse._SubParsersAction[Any]) -> None:
    scan = command(commands, "scan", "find licences, secrets, personal data and more in a git "
                                     "checkout, and suggest answers")
    scan.add_argument("path", type=Path, metavar="PATH", help="the top of a git checkout")
    scan.add_argument("--format", choices=["json", "markdown", "text"], default="text",
                      help="json: for `chat --evidence` and `assess --evidence`; markdown or "
                           "text: for people (default: text)")
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
