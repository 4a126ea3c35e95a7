"""Helpers for tests that race real threads against each other."""

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connections

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


def spy(monkeypatch, target: object, name: str, *, before=None, after=None) -> None:
    """Replace ``target.name`` by a wrapper that calls through, with hooks around the call."""
    real = getattr(target, name)

    def wrapper(*args, **kwargs):
        if before:
            before()
        result = real(*args, **kwargs)
        if after:
            after()
        return result

    monkeypatch.setattr(target, name, wrapper)
