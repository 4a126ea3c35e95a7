"""Helpers for tests that race real threads against each other.

A race test forces one interleaving (a :class:`Gate` pauses the code under test at the
worst moment) and proves that it happened: spies write what each thread did into a
:class:`Timeline`, and the test asserts the order. A test that merely finished in time
would pass whether or not the threads ever overlapped.
"""

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection, connections

from images.thumbnails import concurrency as claims

WAIT = 20.0  # no step of a race test may hang longer than this


def in_thread(pool: ThreadPoolExecutor, work: Callable, *args) -> Future:
    """Run ``work`` in the pool with its own database connection, closed afterwards."""

    def run():
        try:
            return work(*args)
        finally:
            connections.close_all()

    return pool.submit(run)


class Gate:
    """A spy's pause: the code under test reaches ``entered`` and waits for ``open()``."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._opened = threading.Event()
        self.calls = 0
        self._lock = threading.Lock()

    def pass_through(self) -> None:
        with self._lock:
            self.calls += 1
        self.entered.set()
        assert self._opened.wait(WAIT), "the test never opened the gate"

    def wait_entered(self) -> None:
        assert self.entered.wait(WAIT), "the code under test never reached the gate"

    def open(self) -> None:
        self._opened.set()


class Timeline:
    """What the threads of a race did, in the order they did it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._entries: list[tuple[str, int]] = []

    def record(self, event: str) -> None:
        with self._changed:
            self._entries.append((event, threading.get_ident()))
            self._changed.notify_all()

    def hook(self, event: str) -> Callable[[], None]:
        """A spy hook that records ``event``."""
        return lambda: self.record(event)

    @property
    def events(self) -> list[str]:
        """Each event once, where it first happened."""
        with self._changed:
            return list(dict.fromkeys(event for event, _ in self._entries))

    def count(self, event: str) -> int:
        """How many times ``event`` happened."""
        with self._changed:
            return sum(seen == event for seen, _ in self._entries)

    def threads(self, event: str) -> set[int]:
        """The threads that recorded ``event``."""
        with self._changed:
            return {thread for seen, thread in self._entries if seen == event}

    def happens(self, event: str, within: float) -> bool:
        """Whether ``event`` is recorded within ``within`` seconds. Shows that a thread is
        held up where nothing else can tell (SQLite's lock waits): a thread that is held
        never records it, so the check cannot fail when the code is right."""
        with self._changed:
            return self._changed.wait_for(lambda: event in self.events, within)

    def wait_for(self, event: str, threads: int = 1) -> None:
        """Until ``threads`` different threads have recorded ``event``."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.threads(event)) >= threads, WAIT)
        assert arrived, f"{event!r}: {len(self.threads(event))} of {threads} threads got there"


Hook = Callable[[], None]


def spy(
    monkeypatch,
    target: object,
    name: str,
    *,
    before: Hook | list[Hook] = (),
    after: Hook | list[Hook] = (),
) -> None:
    """Replace ``target.name`` by a wrapper that calls through, with hooks around the call
    (one, or a list run in order)."""
    real = getattr(target, name)
    before_hooks = [before] if callable(before) else list(before)
    after_hooks = [after] if callable(after) else list(after)

    def wrapper(*args, **kwargs):
        for hook in before_hooks:
            hook()
        result = real(*args, **kwargs)
        for hook in after_hooks:
            hook()
        return result

    monkeypatch.setattr(target, name, wrapper)


def pause_after(monkeypatch, target: object, name: str, timeline: Timeline, event: str) -> Gate:
    """Once ``target.name`` returns, its caller records ``event`` and waits at the gate."""
    gate = Gate()
    spy(monkeypatch, target, name, after=[timeline.hook(event), gate.pass_through])
    return gate


SAW_CLAIM = "a waiter saw the claim"


def watch_claims(monkeypatch, timeline: Timeline) -> None:
    """Record :data:`SAW_CLAIM` whenever a request finds the thumbnail it wants claimed by
    another (it then waits for that one's row rather than making it itself)."""
    real = claims.is_claimed

    def is_claimed(key: str) -> bool:
        held = real(key)
        if held:
            timeline.record(SAW_CLAIM)
        return held

    monkeypatch.setattr(claims, "is_claimed", is_claimed)


def backend_pid() -> int:
    """This thread's PostgreSQL backend, to find the sessions it blocks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def blocked_by(pid: int, unless: Future) -> bool:
    """Whether some session comes to wait for a lock that backend ``pid`` holds, before
    ``unless`` is done (a session that never had to wait finishes instead)."""
    deadline = time.monotonic() + WAIT
    with connection.cursor() as cursor:
        while not unless.done() and time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [pid],
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False
