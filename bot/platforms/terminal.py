"""The terminal edge: renders neutral replies with rich and reads typed answers."""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping
from types import FrameType

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table

from bot.advisor import Advisor, Turn
from bot.core.answers import chosen
from bot.core.conversation import Inbound
from bot.core.replies import AskQuestion, Closed, Notice, Reply, Result
from bot.report import Report, build
from bot.scan.evidence import Default
from bot.store.base import ConversationKey

SUMMARY_ITEMS = 5  # flags and next steps shown before the details; the rest come below
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
SAVED = ("This check is saved. See it again with [bold]opensource-check history --platform "
         "terminal[/bold], export it with [bold]opensource-check history --format json[/bold], "
         "or write its decision record with [bold]opensource-check record[/bold] and the check id.")
STOPPED = "Stopped. Your answers are saved: run chat again to continue where you left off."


def _items(console: Console, marker: str, items: list[str] | tuple[str, ...],
           indent: int = 2) -> None:
    """A list whose wrapped lines stay indented under their text, not under the marker."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=indent, justify="right", no_wrap=True)
    grid.add_column(ratio=1)
    for number, item in enumerate(items, start=1):
        grid.add_row(f"{number}." if marker == "#" else marker, item)
    if items:
        console.print(grid)


def render_question(console: Console, reply: AskQuestion) -> None:
    """A question with numbered choices and progress; for a question that takes several
    answers, boxes (ticked where answered before) and how to type several."""
    question = reply.question
    console.print(f"\n[dim]{reply.progress} \u00b7 {question.block.heading}[/dim]")
    console.print(f"[bold]{escape(question.prompt)}[/bold]")
    earlier = chosen(reply.previous)
    rows = []
    for option in question.options:
        box = ("[x] " if option.id in earlier else "[ ] ") if question.multiple else ""
        marker = " [dim](your earlier answer)[/dim]" if (
            not question.multiple and option.id in earlier) else ""
        described = f" [dim]\u2014 {escape(option.description)}[/dim]" if option.description else ""
        rows.append(f"{escape(box)}{escape(option.label)}{described}{marker}")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=4, justify="right", style="cyan", no_wrap=True)
    grid.add_column(ratio=1)
    for number, row in enumerate(rows, start=1):
        grid.add_row(f"{number}.", row)
    console.print(grid)
    hints = "help, back, restart, cancel" if reply.can_go_back else "help, restart, cancel"
    if question.multiple:
        again = " Enter alone keeps the ticked ones." if earlier else ""
        console.print("[dim]Type the numbers or answers that apply, separated by commas or "
                      f"spaces (for example 1, 3), or none.{again} ({hints})[/dim]")
    else:
        console.print(f"[dim]Type a number or an answer ({hints}).[/dim]")


def render_summary(console: Console, report: Report) -> None:
    """The recommendation first, then conflicts, flags and next steps: one screen."""
    body = f"[bold]{escape(report.path.title)}[/bold]: {escape(report.path.meaning)}\n"
    body += f"[bold]{escape(report.governance.title)}[/bold]: {escape(report.governance.meaning)}"
    if report.later is not None:
        body += (f"\nLater, in public: [bold]{escape(report.later.title)}[/bold]: "
                 f"{escape(report.later.meaning)}")
    console.print(Panel(body, title="Recommendation", border_style="green"))
    if report.conflicts:
        console.print("[bold]Conflicts to decide[/bold]")
        _items(console, "\u2194", [f"{escape(c.summary)} [bold]Decide:[/bold] {escape(c.decide)}"
                                    for c in report.conflicts[:2]])
    if report.flags:
        console.print("[bold]Flags[/bold]")
        _items(console, "[yellow]\u26a0[/yellow]", [
            f"[yellow]{escape(f.title)}[/yellow]: {escape(f.action)}"
            for f in report.flags[:SUMMARY_ITEMS]])
    console.print("[bold]Next steps[/bold]")
    _items(console, "#", [escape(s) for s in report.next_steps[:SUMMARY_ITEMS]])
    hidden = (max(0, len(report.conflicts) - 2) + max(0, len(report.flags) - SUMMARY_ITEMS)
              + max(0, len(report.next_steps) - SUMMARY_ITEMS))
    if hidden:
        console.print(f"[dim]{hidden} more in the details below.[/dim]")


def render_details(console: Console, report: Report) -> None:
    """Everything else: what would change, why, flag links, evidence, further reading."""
    console.print(Rule("Details", style="dim"))
    if len(report.conflicts) > 2:
        console.print("[bold]More conflicts[/bold]")
        _items(console, "\u2194", [f"{escape(c.summary)} Decide: {escape(c.decide)}"
                                    for c in report.conflicts[2:]])
    if len(report.next_steps) > SUMMARY_ITEMS:
        console.print("[bold]More next steps[/bold]")
        _items(console, "\u2022", [escape(s) for s in report.next_steps[SUMMARY_ITEMS:]])
    for title, items in report.changes:
        console.print(f"[bold]{title}[/bold]")
        _items(console, "\u2022", [escape(i) for i in items])
    console.print("[bold]Why[/bold]")
    _items(console, "\u2022", [escape(r) for r in report.reasons])
    if report.flags:
        console.print("[bold]About the flags[/bold]")
        _items(console, "\u26a0", [
            f"{escape(f.title)}: {escape(f.action)}" + "".join(
                f"\n{escape(k.title)}: {escape(k.url)}" for k in f.links)
            for f in report.flags])
    if report.evidence:
        console.print("[bold]Evidence used[/bold]")
        _items(console, "\u2022", [escape(e) for e in report.evidence])
    if report.learn_more:
        console.print("[bold]Learn more[/bold]")
        _items(console, "\u2022", [f"{escape(k.title)}: {escape(k.url)}"
                                    for k in report.learn_more])
    console.print(f"[dim]Review this advice in {report.review_in_months} months.[/dim]")


def render_recommendation(console: Console, report: Report) -> None:
    """The final report: the summary, the details, and where the check is kept."""
    render_summary(console, report)
    render_details(console, report)
    console.print(f"\n{SAVED}")


def render(console: Console, replies: list[Reply], advisor: Advisor | None = None,
           intro: str | None = None) -> None:
    """Print every reply of a turn. Only answers get a check mark; the other closing notes
    ("Went back", "Started over", "Cancelled") repeat what the next reply says, so the terminal
    leaves them out. The flow's intro is shown once, framed."""
    for reply in replies:
        if isinstance(reply, AskQuestion):
            render_question(console, reply)
        elif isinstance(reply, Closed):
            if reply.answered:
                console.print(f"[green]\u2714[/green] {escape(reply.note)}")
        elif isinstance(reply, Notice):
            if intro is not None and reply.text == intro:
                console.print(Panel(escape(intro), title="opensource-check"))
                continue
            style = {"info": "", "error": "red", "stale": "yellow"}[reply.level]
            text = escape(reply.text)
            console.print(f"[{style}]{text}[/{style}]" if style else text)
        elif isinstance(reply, Result):
            flow = advisor.engine.flow if advisor is not None else None
            if flow is not None:
                render_recommendation(console, build(reply.recommendation, flow))


RESUME_PROMPT = "You have an unfinished check. Continue where you left off? [Y/n] "


class _Interrupts:
    """Ctrl-C while reading stops at once; during a turn, once the turn is saved.

    asyncio.run's own SIGINT handler only cancels the main task, which a blocking `input()`
    never notices: the prompt waited for Enter, ate the typed line as an answer, then died with
    a CancelledError traceback. This handler raises where `input()` waits instead.
    """

    def __init__(self) -> None:
        self.reading = False
        self.pending = False
        self._previous: object = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:  # noqa: ARG002
        if self.reading:
            raise KeyboardInterrupt
        self.pending = True

    def __enter__(self) -> _Interrupts:
        try:
            self._previous = signal.signal(signal.SIGINT, self)
        except ValueError:  # not the main thread: leave signals alone
            self._previous = None
        return self

    def __exit__(self, *_: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]

    def check(self) -> None:
        """KeyboardInterrupt if Ctrl-C was pressed during the last turn."""
        if self.pending:
            raise KeyboardInterrupt

    def read(self, read: Callable[[str], str], prompt: str) -> str:
        self.check()
        self.reading = True
        try:
            return read(prompt)
        finally:
            self.reading = False


async def chat(advisor: Advisor, key: ConversationKey, console: Console,
               read: Callable[[str], str], defaults: Mapping[str, Default] | None = None) -> int:
    """Run one check in the terminal until it finishes, is cancelled or input ends.

    Every turn is saved through the advisor, so a check stopped by Ctrl-C, end of input or a
    killed process is offered again, at the same question, the next time. `defaults` are
    answers a repository scan suggests: shown with their evidence, taken on Enter. Returns 0,
    or 130 when stopped with Ctrl-C.
    """
    intro = advisor.engine.flow.intro
    with _Interrupts() as interrupts:
        try:
            turn = await _opening(advisor, key, lambda p: interrupts.read(read, p))
            render(console, turn.replies, advisor, intro)
            asked = _asked(turn.replies, None)
            while turn.conversation is not None and turn.conversation.active:
                default = (defaults or {}).get(asked.question.id) if asked else None
                if asked is not None and default is not None:
                    render_suggestion(console, asked, default)
                typed = interrupts.read(read, "> ")
                turn = await advisor.handle(key, _inbound(typed, asked, default))
                render(console, turn.replies, advisor, intro)
                asked = _asked(turn.replies, asked)
                interrupts.check()
        except EOFError:
            console.print(f"\n{STOPPED}")
            return 0
        except KeyboardInterrupt:
            console.print(f"\n{STOPPED}")
            return EXIT_INTERRUPTED
    return 0


def render_suggestion(console: Console, asked: AskQuestion, default: Default) -> None:
    """What the repository scan suggests for this question, and what it found."""
    answers = default.answer if isinstance(default.answer, list) else [default.answer]
    labels = {option.id: option.label for option in asked.question.options}
    said = ", ".join(labels.get(answer, answer) for answer in answers)
    console.print(f"[yellow]The repository scan suggests:[/yellow] [bold]{escape(said)}[/bold] "
                  f"[dim]({default.confidence:.0%} sure)[/dim]")
    for detail in default.details:
        console.print(f"  [dim]\u2022 {escape(detail)}[/dim]")
    console.print("[dim]Press Enter to take it, or answer otherwise.[/dim]")


def _asked(replies: list[Reply], before: AskQuestion | None) -> AskQuestion | None:
    """The question now open: the one these replies asked, else the one asked before."""
    return next((r for r in reversed(replies) if isinstance(r, AskQuestion)), before)


def _inbound(typed: str, asked: AskQuestion | None, default: Default | None) -> Inbound:
    """What the user typed; Enter alone takes the scan's suggestion, when there is one, or
    keeps the boxes ticked before of a question that takes several answers."""
    if not typed.strip() and asked is not None and default is None and \
            asked.question.multiple and isinstance(asked.previous, list):
        return Inbound.submit(asked.ref, tuple(asked.previous))
    if typed.strip() or asked is None or default is None:
        return Inbound.typed(typed)
    if isinstance(default.answer, list):
        return Inbound.submit(asked.ref, tuple(default.answer))
    return Inbound.click("answer", asked.ref, default.answer)


async def _opening(advisor: Advisor, key: ConversationKey, read: Callable[[str], str]) -> Turn:
    """Offer the unfinished check, if any; otherwise start a new one."""
    saved = await advisor.current(key)
    if saved is None or not saved.active:
        return await advisor.start(key)
    if read(RESUME_PROMPT).strip().lower() in ("", "y", "yes"):
        return Turn([advisor.engine.ask(saved)], saved)
    return await advisor.handle(key, Inbound.typed("restart"))
