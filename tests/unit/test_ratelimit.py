"""The per-user token bucket."""

from __future__ import annotations

from bot.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refills_over_time() -> None:
    clock = Clock()
    limiter = RateLimiter(burst=2, per_minute=60, clock=clock)
    assert [limiter.allow("u") for _ in range(3)] == [True, True, False]
    assert limiter.retry_after("u") == 1
    clock.now = 1.0
    assert limiter.allow("u")


def test_idle_users_are_forgotten_when_the_table_is_full() -> None:
    clock = Clock()
    limiter = RateLimiter(burst=1, per_minute=60, clock=clock, max_users=2)
    limiter.allow("a")
    limiter.allow("b")
    clock.now = 5.0
    assert limiter.allow("c")
    assert len(limiter._buckets) == 1
