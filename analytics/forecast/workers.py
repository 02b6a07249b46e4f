"""Where model fits run: in the caller's thread, or in worker processes of their own.

A fit is seconds of statsmodels and pandas work that holds the interpreter's
lock throughout. The app serves every session from one process, so a fit in
it stalls every other page for as long, and the process never uses more than
one core. :func:`start` gives the process a pool of worker processes: a fit
then waits for its result without holding the lock, and the fits of several
sessions run side by side on the other cores. The command line and the tests
call nothing here, and fit in their own thread.

A fit's inputs and result cross to the worker by pickling: a count series, its
holidays and events, the forecast's frames. That costs milliseconds against
the fit's seconds.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")

# Fits run at a lower priority than the pages (nice 10): a page run takes a
# tenth of a second, a fit seconds, and the page is what someone waits for.
WORKER_NICENESS = 10
ORPHAN_CHECK_SECONDS = 1.0
_pool: ProcessPoolExecutor | None = None
_size = 0
_lock = threading.Lock()


def default_workers() -> int:
    """Return the workers a pool gets by default: one per core but one (for the pages), at least one."""
    return max(1, (os.cpu_count() or 1) - 1)


def start(workers: int | None = None) -> int:
    """Give this process a pool of ``workers`` fit processes (None: :func:`default_workers`).

    Returns the pool's size; 0 stops the pool, and fits run in the caller's
    thread again. Calling it again with the same size keeps the running pool.
    """
    global _pool, _size
    size = default_workers() if workers is None else workers
    with _lock:
        if _pool is not None and size == _size:
            return size
        old, _pool, _size = _pool, None, 0
        if size > 0:
            # Spawned, not forked: the app's process runs DuckDB's and the web
            # server's threads, which a fork would copy in whatever state they were.
            context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(
                size, mp_context=context, initializer=_yield_to_pages, initargs=(os.getpid(),)
            )
            _size = size
            with _no_main_module():
                # Each submit starts a process while none is idle: all of them, now.
                for _ in range(size):
                    _pool.submit(_warm_up)
    if old is not None:
        old.shutdown(wait=False, cancel_futures=True)
    return size


@contextlib.contextmanager
def _no_main_module() -> Iterator[None]:
    """Hide the ``__main__`` module from the processes started in the body.

    A spawned process runs its parent's ``__main__`` again before its first
    task. Streamlit installs each page run's script as ``__main__``, so every
    worker would run app.py; without one, workers import only what their
    tasks name.
    """
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


def _yield_to_pages(parent: int) -> None:
    """Set a new worker up: a lower priority than the pages (a page someone waits for goes
    before a fit), and an end when the app's process ``parent`` ends."""
    os.nice(WORKER_NICENESS)
    # The parent's pid as it started the worker: a parent gone before this ran
    # (a server stopped as it started) already shows as another pid here.
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()


def _end_with(parent: int) -> None:
    """End this worker once ``parent`` has gone (its parent changes when it dies).

    A worker holds both ends of the pool's queues, so a parent killed without
    a chance to stop the pool would leave it waiting for work for ever.
    """
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(0)


def _warm_up() -> None:
    """Import the modelling libraries in a new worker, so its first fit does not wait for them."""
    import statsmodels.tsa.api  # noqa: F401


def stop() -> None:
    """Stop the pool, if any; later fits run in the caller's thread."""
    start(0)


def size() -> int:
    """Return how many worker processes fit models now (0: the caller's thread)."""
    return _size


def run(function: Callable[..., T], *args, **kwargs) -> T:
    """Return ``function(*args, **kwargs)``, computed in a worker process when there is a pool.

    ``function`` must be a module-level function whose arguments and result
    pickle. A pool whose worker died (killed, out of memory) is replaced,
    and this call runs in the caller's thread instead of failing.
    """
    pool = _pool
    if pool is None:
        return function(*args, **kwargs)
    try:
        return pool.submit(function, *args, **kwargs).result()
    except BrokenProcessPool:
        _replace(pool)
        return function(*args, **kwargs)


def _replace(broken: ProcessPoolExecutor) -> None:
    """Start a new pool of the same size in place of ``broken`` (once, whoever calls first)."""
    global _pool, _size
    with _lock:
        if _pool is not broken:
            return
        workers, _pool, _size = _size, None, 0
    broken.shutdown(wait=False, cancel_futures=True)
    start(workers)


atexit.register(stop)
