"""Rate limits: failed joins per device, per IP and overall; every phone write per person
and per workshop; new workshops per IP and overall.

Flask-Limiter keeps the counts, as moving windows (its ``moving-window`` strategy: at most
N events in any period of that length). Where they live:

- ``WORKSHOP_REDIS_URL`` set: in Redis, so every worker process and every app server shares
  one count, and each limit is counted exactly. If Redis stops answering, each process
  counts in its own memory (and takes its share, below) until Redis is back.
- otherwise: in this process's memory. With several worker processes (``workshop serve
  --workers N``) each counts on its own and allows 1/N of each limit (at least 1), so
  together they never let through more than the limit. Restarting forgets every count.

Which requests count depends on what happened (only a failed join counts; a real QR token
always opens; slow mode starts after many failures across the server), so the views call
the functions at the bottom rather than decorating routes with ``@limiter.limit``.

A room is often 40 phones behind one address (the clinic Wi-Fi's NAT), so phone writes are
counted per person and per workshop, never per address. Slow mode is shared by everyone,
so no single address may start or hold it: only its first failures an hour count towards
starting it, in slow mode it takes at most a few of the shared places a minute, and its attempts
refused with a 429 count against its device and address (once they have failed before).
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

log = logging.getLogger(__name__)

KEY_PREFIX = "credo"  # every key in a shared Redis starts with it
REDIS_RETRY_SECONDS = 30.0  # after Redis failed, count in memory this long before trying again
REDIS_TIMEOUT_SECONDS = 0.5  # a request never waits longer than this for Redis
MEMORY_SCHEME = "credo-memory"
SWEEP_SECONDS = 1.0  # how often the memory storage forgets expired counts


class LockedMemoryStorage(MemoryStorage):
    """limits' memory storage, with its expiry sweep restarted under a lock, once a second.

    Its own check-then-start re-reads ``self.timer`` after assigning it, so two request
    threads can start the same Timer twice; under a burst of answers the server then logged
    a thread's KeyError traceback (tests/test_burst.py). Its sweep ran every 10 ms while
    anything was counted, walking every key: in a 300-phone burst a twentieth of the
    server's time. The sweep only frees memory (every window reads its entries' own times),
    so once a second counts the same.
    """

    STORAGE_SCHEME = [MEMORY_SCHEME]  # registers the scheme for RATELIMIT_STORAGE_URI

    def __init__(self, uri: str | None = None, **options: str) -> None:
        self.timer_lock = threading.Lock()
        super().__init__(uri, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:  # the parent's private hook
        with self.timer_lock:
            if not self.timer.is_alive():
                timer = threading.Timer(SWEEP_SECONDS, self._MemoryStorage__expire_events)
                self.timer = timer
                timer.start()


class Counts:
    """Where the windows count: Flask-Limiter's storage, or this process's memory meanwhile.

    ``shared`` is true when the storage is Redis (one count for every process). While it
    fails, every window counts in a memory fallback of this process instead.
    """

    def __init__(self, limiter: RateLimiter, shared: bool) -> None:
        self.limiter = limiter
        self.shared = shared
        self.fallback: RateLimiter | None = None  # made the first time Redis fails
        self._retry_at = 0.0

    def strategy(self) -> tuple[RateLimiter, bool]:
        """Return the strategy to count with now, and whether it is the shared one."""
        if self.fallback is not None and time.monotonic() < self._retry_at:
            return self.fallback, False
        return self.limiter, self.shared

    def failed(self, error: Exception) -> RateLimiter:
        """Count in memory for a while (returned): the shared storage did not answer."""
        log.warning("rate-limit storage failed (%s); counting in memory for now", error)
        if self.fallback is None:
            self.fallback = MovingWindowRateLimiter(LockedMemoryStorage())
        self._retry_at = time.monotonic() + REDIS_RETRY_SECONDS
        return self.fallback


@dataclass(frozen=True)
class Window:
    """One limit: at most ``limit`` events per key within ``seconds``.

    ``item`` is the limit counted in the shared storage; ``share`` is this process's part of
    it, counted when the counts are this process's own (no Redis, or Redis down).
    """

    name: str
    item: RateLimitItem
    share: RateLimitItem
    counts: Counts

    @property
    def limit(self) -> int:
        """The number of events the counting in use allows per window."""
        return self._use()[1].amount

    @property
    def seconds(self) -> int:
        """The window's length."""
        return self.item.get_expiry()

    def _use(self) -> tuple[RateLimiter, RateLimitItem]:
        strategy, shared = self.counts.strategy()
        return strategy, self.item if shared else self.share

    def _run(self, action: str, key: str) -> Any:
        strategy, item = self._use()
        try:
            return getattr(strategy, action)(item, KEY_PREFIX, self.name, key)
        except Exception as error:  # noqa: BLE001 - a shared storage down must not stop a join
            if strategy is self.counts.fallback or not self.counts.shared:
                raise
            fallback = self.counts.failed(error)
            return getattr(fallback, action)(self.share, KEY_PREFIX, self.name, key)

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may act again; 0 while it is under the limit."""
        if self._run("test", key):
            return 0.0
        return self._wait(key)

    def _wait(self, key: str) -> float:
        reset = self._run("get_window_stats", key).reset_time
        return max(reset - time.time(), 0.001)

    def hit(self, key: str) -> None:
        """Count one event for ``key`` now (none beyond the limit: the window is full anyway)."""
        self._run("hit", key)

    def try_hit(self, key: str) -> float:
        """Count an event if the limit allows it (return 0), else return the seconds to wait."""
        if self._run("hit", key):
            return 0.0
        return self._wait(key)

    def count(self, key: str) -> int:
        """Return how many events ``key`` has in the window."""
        stats = self._run("get_window_stats", key)
        return self._use()[1].amount - stats.remaining


@dataclass
class Limits:
    """Every window of one app, and the Flask-Limiter extension that counts them."""

    enabled: bool
    limiter: Limiter
    device: Window  # failed joins per device + IP
    address: Window  # failed joins per IP
    failures: Window  # failed joins overall: reaching its limit starts slow mode
    slow: Window  # join attempts overall while in slow mode
    answers: Window  # answers per participant
    failure_share: Window  # failed joins per IP that count towards slow mode
    slow_share: Window  # join attempts per IP while in slow mode
    writes: Window  # every phone write per participant (answers count in ``answers``)
    statements: Window  # proposed drafts and suggested changes per participant
    room_writes: Window  # every phone write per workshop, answers included
    created: Window  # workshops created (or wrong creation passwords) per IP
    created_all: Window  # workshops created overall
    feedback_device: Window  # clients' feedback an hour per device + IP
    feedback_address: Window  # clients' feedback an hour per IP

    @classmethod
    def from_config(cls, app: Flask) -> Limits:
        """Build the windows from the app's ``JOIN_LIMIT_*``, ``ANSWER_LIMIT`` and ``REDIS_URL``.

        Counted in Redis, each limit is the setting. Counted in memory by ``WORKERS``
        processes, each allows its share (at least 1): all together never let through more
        than a setting of ≥ WORKERS.
        """
        config = app.config
        redis_url = config.get("REDIS_URL") or None
        config.setdefault("RATELIMIT_STORAGE_URI", redis_url or f"{MEMORY_SCHEME}://")
        config.setdefault("RATELIMIT_STRATEGY", "moving-window")
        config.setdefault("RATELIMIT_KEY_PREFIX", KEY_PREFIX)
        if redis_url:
            config.setdefault(
                "RATELIMIT_STORAGE_OPTIONS",
                {
                    "socket_timeout": REDIS_TIMEOUT_SECONDS,
                    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                },
            )
        limiter = Limiter(get_remote_address)  # one per app: it keeps its storage on itself
        limiter.init_app(app)
        # No route carries a @limiter.limit (the views count, below): skip its per-request
        # search for one, about 2/3 of the time it takes (bench/libraries.py).
        limiter.request_filter(lambda: True)
        counts = Counts(limiter.limiter, shared=bool(redis_url))
        workers = max(1, int(config.get("WORKERS", 1)))

        def window(name: str, setting: str | int, per: type[RateLimitItem]) -> Window:
            amount = int(config[setting]) if isinstance(setting, str) else setting
            share = per(max(1, amount // workers))
            return Window(name, per(amount) if redis_url else share, share, counts)

        after = int(config["JOIN_SLOW_MODE_AFTER"])
        # Never all of slow mode's trigger from one address: at least 10 (or 2) must fail.
        failure_share = min(int(config.get("JOIN_SLOW_MODE_IP_SHARE") or after // 10), after // 2)
        slow_share = max(2, int(config["JOIN_SLOW_MODE_ALLOWANCE"]) // 10)

        return cls(
            enabled=bool(config.get("RATE_LIMITS", True)),
            limiter=limiter,
            device=window("join-device", "JOIN_LIMIT_DEVICE", RateLimitItemPerMinute),
            address=window("join-address", "JOIN_LIMIT_IP", RateLimitItemPerMinute),
            failures=window("join-failures", "JOIN_SLOW_MODE_AFTER", RateLimitItemPerHour),
            slow=window("join-slow", "JOIN_SLOW_MODE_ALLOWANCE", RateLimitItemPerMinute),
            answers=window("answers", "ANSWER_LIMIT", RateLimitItemPerMinute),
            failure_share=window("join-failure-share", max(1, failure_share), RateLimitItemPerHour),
            slow_share=window("join-slow-share", slow_share, RateLimitItemPerMinute),
            writes=window("writes", "PHONE_WRITE_LIMIT", RateLimitItemPerMinute),
            statements=window("statements", "STATEMENT_LIMIT", RateLimitItemPerMinute),
            room_writes=window("room-writes", "ROOM_WRITE_LIMIT", RateLimitItemPerMinute),
            created=window("created", "CREATE_LIMIT_IP", RateLimitItemPerHour),
            created_all=window("created-all", "CREATE_LIMIT_TOTAL", RateLimitItemPerHour),
            feedback_device=window(
                "feedback-device", "FEEDBACK_LIMIT_DEVICE", RateLimitItemPerHour
            ),
            feedback_address=window(
                "feedback-address", "FEEDBACK_LIMIT_ADDRESS", RateLimitItemPerHour
            ),
        )


def init_app(app: Flask) -> None:
    """Give the app its windows and their Flask-Limiter (one per app)."""
    app.extensions["credo_limits"] = Limits.from_config(app)


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
    device = f"{device_id()}|{address}"
    wait = max(limits.device.retry_after(device), limits.address.retry_after(address))
    if wait <= 0 and in_slow_mode():  # a few of the shared places per address, then the rest
        wait = limits.slow_share.retry_after(address) or limits.slow.try_hit("all")
        if wait <= 0:
            limits.slow_share.hit(address)
    if wait <= 0:
        return 0
    # A refused attempt counts against its sender once it has failed before: a device or
    # address refused at its first attempt adds no key, so memory stays bounded by failures.
    for window, key in ((limits.device, device), (limits.address, address)):
        if window.count(key):
            window.hit(key)
    return seconds(wait)


def record_join_failure() -> None:
    """Count a join that failed: a wrong code, or an unknown QR token.

    Towards slow mode only an address's first failures of the hour count, so one address
    alone can never start it.
    """
    limits = current()
    if not limits.enabled:
        return
    address = _address()
    limits.device.hit(f"{device_id()}|{address}")
    limits.address.hit(address)
    if limits.failure_share.try_hit(address) <= 0:
        limits.failures.hit("all")


def _take(windows: list[tuple[Window, str]]) -> int:
    """Count one event in every window, or none and return the seconds to wait."""
    wait = max(window.retry_after(key) for window, key in windows)
    if wait > 0:
        return seconds(wait)
    for window, key in windows:
        window.hit(key)
    return 0


def answer_wait(workshop_id: int, participant_id: int) -> int:
    """Count one answer from this person, or return the seconds to wait when over the limit."""
    limits = current()
    if not limits.enabled:
        return 0
    person = f"{workshop_id}:{participant_id}"
    return _take([(limits.answers, person), (limits.room_writes, str(workshop_id))])


def write_wait(workshop_id: int, participant_id: int, statement: bool = False) -> int:
    """Count one phone write (a dot, a round answer, a suggested change, a proposed draft)
    for this person and workshop, or return the seconds to wait when over a limit.

    ``statement``: a suggested change or a proposed draft, long texts the facilitator
    reads one by one, with a lower limit of their own.
    """
    limits = current()
    if not limits.enabled:
        return 0
    person = f"{workshop_id}:{participant_id}"
    windows = [(limits.writes, person), (limits.room_writes, str(workshop_id))]
    if statement:
        windows.append((limits.statements, person))
    return _take(windows)


def create_wait() -> int:
    """Return the seconds before this address may create a workshop (0: go ahead)."""
    limits = current()
    if not limits.enabled:
        return 0
    wait = max(limits.created.retry_after(_address()), limits.created_all.retry_after("all"))
    return seconds(wait) if wait > 0 else 0


def record_creation(succeeded: bool = True) -> None:
    """Count a workshop created, or a wrong creation password (against the address only)."""
    limits = current()
    if not limits.enabled:
        return
    limits.created.hit(_address())
    if succeeded:
        limits.created_all.hit("all")


def feedback_wait(workshop_id: int, kiosk: bool = False) -> int:
    """Count one client's feedback from this device and address, or return the seconds to
    wait when over a limit. A kiosk is one device for every client at the desk: only its
    address counts."""
    limits = current()
    if not limits.enabled:
        return 0
    address = _address()
    windows = [(limits.feedback_address, f"{workshop_id}|{address}")]
    if not kiosk:
        windows.append((limits.feedback_device, f"{workshop_id}|{device_id()}|{address}"))
    return _take(windows)
