"""The terminal edge: renders neutral replies with rich and reads typed answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bot.advisor import Advisor, Turn
from bot.core.conversation import Inbound
from bot.core.outcomes import (
    FLAG_TITLES,
    GOVERNANCE_MEANINGS,
    GOVERNANCE_TITLES,
    PATH_MEANINGS,
    PATH_TITLES,
    Recommendation,
)
from bot.core.replies import AskQuestion, Closed, Notice, Reply, Result
from bot.scan.evidence import Default
from bot.store.base import ConversationKey


def render_question(console: Console, reply: AskQuestion) -> None:
    """A question with numbered choices and progress."""
    question = reply.question
    console.print(f"\n[dim]{reply.progress} \u00b7 {question.block.value}[/dim]")
    console.print(f"[bold]{question.prompt}[/bold]")
    for number, option in enumerate(question.options, start=1):
        marker = " [dim](your earlier answer)[/dim]" if option.id == reply.previous else ""
        console.print(f"  [cyan]{number}[/cyan]. {option.label}{marker}")
    hints = "help, back, restart, cancel" if reply.can_go_back else "help, restart, cancel"
    console.print(f"[dim]Type a number or an answer ({hints}).[/dim]")


def render_recommendation(console: Console, rec: Recommendation) -> None:
    """The final report."""
    body = f"[bold]{PATH_TITLES[rec.path]}[/bold]: {PATH_MEANINGS[rec.path]}\n"
    governance = rec.governance
    body += f"[bold]{GOVERNANCE_TITLES[governance]}[/bold]: {GOVERNANCE_MEANINGS[governance]}"
    if rec.target_governance is not None:
        body += (f"\nLater, in public: [bold]{GOVERNANCE_TITLES[rec.target_governance]}[/bold]: "
                 f"{GOVERNANCE_MEANINGS[rec.target_governance]}")
    console.print(Panel(body, title="Recommendation", border_style="green"))
    console.print("[bold]Why[/bold]")
    for reason in rec.rationale:
        console.print(f"  \u2022 {reason.reason} [dim]({reason.question}: {reason.answer})[/dim]")
    if rec.flag_notes:
        console.print("[bold]Flags[/bold]")
        for note in rec.flag_notes:
            console.print(f"  [yellow]\u26a0 {FLAG_TITLES[note.flag]}[/yellow]: {note.action}")
    console.print("[bold]Next steps[/bold]")
    for number, step in enumerate(rec.next_steps, start=1):
        console.print(f"  {number}. {step}")
    if rec.what_would_change:
        table = Table("If you answered", "the advice would be", title="What would change it",
                      title_justify="left")
        for change in rec.what_would_change.all:
            table.add_row(change.said,
                          f"{PATH_TITLES[change.path]}, {GOVERNANCE_TITLES[change.governance]}")
        console.print(table)
    console.print("[bold]Learn more[/bold]")
    for link in rec.learn_more:
        console.print(f"  {link.title}: {link.url}")


def render(console: Console, replies: list[Reply]) -> None:
    """Print every reply of a turn."""
    for reply in replies:
        if isinstance(reply, AskQuestion):
            render_question(console, reply)
        elif isinstance(reply, Closed):
            console.print(f"[green]\u2714[/green] {reply.note}")
        elif isinstance(reply, Notice):
            style = {"info": "", "error": "red", "stale": "yellow"}[reply.level]
            console.print(f"[{style}]{reply.text}[/{style}]" if style else reply.text)
        elif isinstance(reply, Result):
            render_recommendation(console, reply.recommendation)


RESUME_PROMPT = "You have an unfinished check. Continue where you left off? [Y/n] "
STOPPED = "\nStopped. Your answers are saved: run chat again to continue where you left off."


async def chat(advisor: Advisor, key: ConversationKey, console: Console,
               read: Callable[[str], str], defaults: Mapping[str, Default] | None = None) -> int:
    """Run one check in the terminal until it finishes, is cancelled or input ends.

    Every turn is saved through the advisor, so a check stopped by Ctrl-C, end of input or a
    killed process is offered again, at the same question, the next time. `defaults` are
    answers a repository scan suggests: shown with their evidence, taken on Enter.
    """
    flow = advisor.engine.flow
    console.print(Panel(flow.intro, title=flow.title))
    try:
        turn = await _opening(advisor, key, read)
        render(console, turn.replies)
        asked = _asked(turn.replies, None)
        while turn.conversation is not None and turn.conversation.active:
            default = (defaults or {}).get(asked.question.id) if asked else None
            if asked is not None and default is not None:
                render_suggestion(console, asked, default)
            turn = await advisor.handle(key, _inbound(read("> "), asked, default))
            render(console, turn.replies)
            asked = _asked(turn.replies, asked)
    except (EOFError, KeyboardInterrupt):
        console.print(STOPPED)
        return 1
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
    """What the user typed; Enter alone takes the scan's suggestion, when there is one."""
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
