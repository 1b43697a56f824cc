"""Rate limits: failed joins per device, per IP and overall, and answers per person.

The counters are sliding windows held in this process's memory, shared by its threads under
one lock. With several worker processes (``workshop serve --workers N``) each process counts
on its own and allows 1/N of each limit, so together they never let through more than the
limit. Nothing is written to disk, so restarting the server forgets every count (SECURITY.md).
"""

import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request, session

MINUTE = 60.0
HOUR = 3600.0
MAX_KEYS = 50_000  # per window: the oldest quiet key is forgotten first beyond this


class SlidingWindow:
    """Count events per key over the last ``seconds``; at most ``limit`` are allowed.

    Only the newest ``limit`` moments are kept per key, which is all a yes/no answer needs,
    so memory stays bounded however hard a key is hammered.
    """

    def __init__(
        self,
        limit: int,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._moments: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        """Return the key's moments still inside the window (call under the lock)."""
        moments = self._moments.get(key)
        if moments is None:
            return None
        while moments and moments[0] <= now - self.seconds:
            moments.popleft()
        if not moments:
            del self._moments[key]
            return None
        return moments

    def _wait(self, moments: deque[float] | None, now: float) -> float:
        if moments is None or len(moments) < self.limit:
            return 0.0
        return moments[0] + self.seconds - now

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may act again; 0 while it is under the limit."""
        with self._lock:
            now = self.clock()
            return self._wait(self._recent(key, now), now)

    def hit(self, key: str) -> None:
        """Count one event for ``key`` now."""
        with self._lock:
            self._record(key, self.clock())

    def try_hit(self, key: str) -> float:
        """Count an event if the limit allows it (return 0), else return the seconds to wait."""
        with self._lock:
            now = self.clock()
            wait = self._wait(self._recent(key, now), now)
            if wait <= 0:
                self._record(key, now)
            return wait

    def count(self, key: str) -> int:
        """Return how many events ``key`` has in the window (at most ``limit``)."""
        with self._lock:
            moments = self._recent(key, self.clock())
            return len(moments) if moments else 0

    def _record(self, key: str, now: float) -> None:
        moments = self._recent(key, now)
        if moments is None:
            moments = self._moments[key] = deque(maxlen=max(self.limit, 1))
            while len(self._moments) > self.max_keys:
                self._moments.popitem(last=False)
        self._moments.move_to_end(key)
        moments.append(now)


@dataclass
class Limits:
    """Every window one process keeps."""

    enabled: bool
    device: SlidingWindow  # failed joins per device + IP
    address: SlidingWindow  # failed joins per IP
    failures: SlidingWindow  # failed joins overall: reaching its limit starts slow mode
    slow: SlidingWindow  # join attempts overall while in slow mode
    answers: SlidingWindow  # answers per participant

    @classmethod
    def from_config(cls, config: dict, clock: Callable[[], float] = time.monotonic) -> "Limits":
        """Build the windows from the app's ``JOIN_LIMIT_*`` and ``ANSWER_LIMIT`` settings.

        With ``WORKERS`` processes each keeps its own count, so each allows its share (at
        least 1): all of them together never let through more than a setting of ≥ WORKERS.
        """
        workers = max(1, int(config.get("WORKERS", 1)))

        def share(name: str) -> int:
            return max(1, int(config[name]) // workers)

        return cls(
            enabled=bool(config.get("RATE_LIMITS", True)),
            device=SlidingWindow(share("JOIN_LIMIT_DEVICE"), MINUTE, clock),
            address=SlidingWindow(share("JOIN_LIMIT_IP"), MINUTE, clock),
            failures=SlidingWindow(share("JOIN_SLOW_MODE_AFTER"), HOUR, clock),
            slow=SlidingWindow(share("JOIN_SLOW_MODE_ALLOWANCE"), MINUTE, clock),
            answers=SlidingWindow(share("ANSWER_LIMIT"), MINUTE, clock),
        )


def init_app(app: Flask) -> None:
    """Give the app its windows (one set per process)."""
    app.extensions["credo_limits"] = Limits.from_config(app.config)


def current() -> Limits:
    """Return this app's windows."""
    return current_app.extensions["credo_limits"]


def seconds(wait: float) -> int:
    """Round a wait up to whole seconds, as Retry-After wants (at least 1)."""
    return max(1, math.ceil(wait))


def device_id() -> str:
    """Return this browser's random device id, kept in its session cookie from the first visit."""
    device = session.get("device")
    if not isinstance(device, str) or not device:
        device = session["device"] = secrets.token_urlsafe(16)
    return device


def _address() -> str:
    return request.remote_addr or "unknown"


def in_slow_mode() -> bool:
    """Tell whether failed joins across the server have reached the hourly limit."""
    limits = current()
    return limits.enabled and limits.failures.retry_after("all") > 0


def join_wait() -> int:
    """Return the seconds this device must wait before another join attempt (0: go ahead).

    Checked before the code is looked at, so a blocked device learns nothing about it. In
    slow mode every attempt also takes one of a few places a minute shared by everyone.
    """
    limits = current()
    if not limits.enabled:
        return 0
    address = _address()
    wait = max(
        limits.device.retry_after(f"{device_id()}|{address}"),
        limits.address.retry_after(address),
    )
    if wait <= 0 and in_slow_mode():
        wait = limits.slow.try_hit("all")
    return seconds(wait) if wait > 0 else 0


def record_join_failure() -> None:
    """Count a join that failed: a wrong code, or an unknown QR token."""
    limits = current()
    if not limits.enabled:
        return
    address = _address()
    limits.device.hit(f"{device_id()}|{address}")
    limits.address.hit(address)
    limits.failures.hit("all")


def answer_wait(workshop_id: int, participant_id: int) -> int:
    """Count one answer from this person, or return the seconds to wait when over the limit."""
    limits = current()
    if not limits.enabled:
        return 0
    wait = limits.answers.try_hit(f"{workshop_id}:{participant_id}")
    return seconds(wait) if wait > 0 else 0
