"""Worker processes that behave the same on Linux, macOS and Windows, and a progress protocol.

Windows has no fork and no forkserver, so every pool is a `WorkerPool` (made through
`mp_context()`), and code run in workers must be importable by a fresh interpreter (spawn-safe).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any

START_METHOD_ENV = "SHEETREVIEW_START_METHOD"

Progress = Callable[[int, int], None] | None
"""Called as progress(done, total) while long work goes on; None when nobody is watching."""


def cpu_count() -> int:
    """CPUs this process may really use: its affinity mask and, in a container, its CPU quota."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13
        n = os.process_cpu_count() or 1
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:
        n = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(n, quota)) if quota else max(1, n)


def _cgroup_quota() -> int | None:
    """The CPU limit of a cgroup v2 container (cpu.max), rounded up; None when unlimited."""
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as fh:
            quota, period = fh.read().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return max(1, -(-int(quota) // int(period)))
    except (ValueError, ZeroDivisionError):
        return None


def start_method(fork: bool = False) -> str:
    """forkserver where the platform has it (cheap, and workers do not inherit a big parent),
    else spawn; SHEETREVIEW_START_METHOD forces one, so the Windows path is tested on Linux.

    `fork` asks for workers forked from the caller itself on Linux, with every module it has
    imported, instead of from a server that is a second interpreter importing them again (half
    a second of CPU for a short ingest, more for a report); WorkerPool keeps their collectors
    off the pages they share with the caller. Not on macOS, whose system libraries are unsafe
    in a forked child, nor from a process whose libraries run threads a child would need."""
    available = multiprocessing.get_all_start_methods()
    forced = os.environ.get(START_METHOD_ENV, "").strip()
    if forced in available:
        return forced
    if fork and sys.platform.startswith("linux") and "fork" in available:
        return "fork"
    return "forkserver" if "forkserver" in available else "spawn"


def start_server(preload: list[str]) -> None:
    """Where workers are forked from a server (macOS: on Linux pools fork from their caller, on
    Windows they spawn), start it now, importing `preload` once, while this process goes on:
    each worker forked later has them already, rather than importing them itself. Harmless
    when the server runs: its first list stands."""
    if start_method(fork=True) != "forkserver":
        return
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(preload)
    forkserver.ensure_running()


def mp_context(fork: bool = False) -> BaseContext:
    return multiprocessing.get_context(start_method(fork))


class WorkerPool(ProcessPoolExecutor):
    """A process pool made through `mp_context(fork)`.

    A forking pool forks all its workers when given its first task; that is done with what this
    process holds set aside from the garbage collector (gc.freeze), so that no worker's
    collector walks, and so copies, the pages it shares with this process. This process's own
    collector takes them back at once."""

    def __init__(
        self,
        max_workers: int,
        *,
        fork: bool = False,
        initializer: Callable[..., object] | None = None,
        initargs: tuple = (),
    ) -> None:
        context = mp_context(fork)
        super().__init__(max_workers, context, initializer, initargs)
        self._to_fork = context.get_start_method() == "fork"

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if not self._to_fork:
            return super().submit(fn, *args, **kwargs)
        self._to_fork = False
        gc.freeze()
        try:
            return super().submit(fn, *args, **kwargs)
        finally:
            gc.unfreeze()


def workers_for(jobs: int | None, tasks: int) -> int:
    """How many worker processes: as asked, else one per usable CPU, never more than tasks."""
    return max(1, min(jobs or cpu_count(), max(tasks, 1)))
