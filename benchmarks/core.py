"""The core's figures: one turn, and one full recommendation with `what_would_change`.

Run: python benchmarks/core.py [--rounds N]. Prints median and p99 in microseconds; the targets
(turn under 25 us median, recommendation under 1 ms) are checked here, not in timed tests.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bot.core.advice import forget_recommendations
from bot.core.conversation import Inbound
from bot.core.engine import Engine

ANSWERS = {
    "upstream": "no", "confidential": "none", "differentiator": "no", "audience": "public",
    "internal_only": "no", "users": "many_teams", "contributors": "patches",
    "control": "final_say", "capacity": "dedicated", "entities": "several_countries",
    "agreements": "none", "regulated": "no", "obligations": ["none"], "ownership": "yes",
    "motivation": "adoption",
}


def measure(action: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Median and p99 of `rounds` calls, in microseconds."""
    for _ in range(min(rounds, 200)):
        action()  # warm up caches and the cursor
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        action()
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    """Print the figures as a small table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5000)
    rounds = parser.parse_args().rounds
    engine = Engine.default()
    now = datetime.now(UTC)
    middle = engine.start("bench", now).conversation
    for question in ("upstream", "confidential", "differentiator", "audience"):
        middle = engine.advance(middle, Inbound.typed(ANSWERS[question]), now).conversation
    click = Inbound.click("answer", middle.ref, "no")

    walks = iter(_random_turns(engine, now, rounds + 200))
    figures = {
        "turn (same click)": (measure(lambda: engine.advance(middle, click, now), rounds), 25),
        "turn (random walks)": (measure(lambda: engine.advance(*next(walks)), rounds), 25),
        "turn (typed label)": (measure(
            lambda: engine.advance(middle, Inbound.typed("No, it stands on its own"), now),
            rounds), 25),
        # Uncached: the memo of recent answer sets would otherwise turn this into a lookup.
        "recommendation (uncached)": (measure(
            lambda: (forget_recommendations(), engine.assess(ANSWERS)), rounds // 5), 2000),
        "recommendation (remembered)": (measure(lambda: engine.assess(ANSWERS), rounds // 5),
                                        1000),
    }
    print(f"{'what':<28}{'median us':>12}{'p99 us':>12}{'target us':>12}  met")
    for name, ((median, p99), target) in figures.items():
        print(f"{name:<28}{median:>12.1f}{p99:>12.1f}{target:>12}  "
              f"{'yes' if median <= target else 'NO'}")


def _random_turns(engine: Engine, now: datetime, count: int) -> list[tuple[object, ...]]:
    """(conversation, click, now) for the turns of many random walks, in random order."""
    rng = random.Random(7)
    turns: list[tuple[object, ...]] = []
    while len(turns) < count:
        conversation = engine.start("walk", now).conversation
        while conversation.active:
            click = Inbound.click("answer", conversation.ref,
                                  rng.choice(engine.options[conversation.state]))
            turns.append((conversation, click, now))
            conversation = engine.advance(conversation, click, now).conversation
    rng.shuffle(turns)
    return turns[:count]


if __name__ == "__main__":
    main()
