"""A per-user limit on starting checks, so one user's flood never slows anyone else.

A token bucket per user, kept in process memory: each replica limits on its own, which bounds a
flood to (replicas x burst) without a store round trip on the hot path. Buckets that have
refilled are dropped, so memory stays bounded by the users active in the last refill period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allow `burst` starts at once per user, refilling at `per_minute` starts a minute."""

    def __init__(self, burst: int = 5, per_minute: float = 10,
                 clock: Callable[[], float] = monotonic, max_users: int = 100_000) -> None:
        self._burst = burst
        self._rate = per_minute / 60
        self._clock = clock
        self._max_users = max_users
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, user: str) -> bool:
        """Take one token for `user`; False when their bucket is empty."""
        now = self._clock()
        bucket = self._buckets.get(user)
        if bucket is None:
            if len(self._buckets) >= self._max_users:
                self._forget_full(now)
            bucket = self._buckets[user] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def retry_after(self, user: str) -> int:
        """Whole seconds until `user` may start again."""
        bucket = self._buckets.get(user)
        missing = 1 - bucket.tokens if bucket else 0
        return max(1, int(missing / self._rate + 0.999))

    def _forget_full(self, now: float) -> None:
        refill = self._burst / self._rate
        self._buckets = {u: b for u, b in self._buckets.items() if now - b.updated < refill}
