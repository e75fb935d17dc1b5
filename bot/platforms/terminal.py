"""The terminal edge: renders neutral replies with rich and reads typed answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from bot.core.conversation import Inbound
from bot.core.engine import Engine
from bot.core.outcomes import (
    FLAG_TITLES,
    GOVERNANCE_MEANINGS,
    GOVERNANCE_TITLES,
    PATH_MEANINGS,
    PATH_TITLES,
    Recommendation,
)
from bot.core.replies import AskQuestion, Closed, Notice, Reply, Result


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
        for change in rec.what_would_change:
            table.add_row(f"{change.question} = {change.answer}",
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


def chat(engine: Engine, console: Console, read: Callable[[str], str]) -> int:
    """Run one check in the terminal until it finishes, is cancelled or input ends."""
    console.print(Panel(engine.flow.intro, title=engine.flow.title))
    step = engine.start(uuid.uuid4().hex[:12], datetime.now(UTC))
    render(console, step.replies)
    conversation = step.conversation
    while conversation.active:
        try:
            text = read("> ")
        except (EOFError, KeyboardInterrupt):
            console.print("\nStopped.")
            return 1
        step = engine.advance(conversation, Inbound.typed(text), datetime.now(UTC))
        conversation = step.conversation
        render(console, step.replies)
    return 0
