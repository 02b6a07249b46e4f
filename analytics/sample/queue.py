"""The queue engine: agents on shift serve one team's tickets, live desk first,
then a first-in first-out queue of first replies and follow-ups.

It knows nothing of the sample's story: the tickets (arrival and drawn work)
and the agents' working windows come in, what happened to each ticket comes
out in a :class:`TicketState`. The sample and the what-if
(``analytics.planning.whatif``) both run it; a :class:`Budget` stops a run
that takes too long or that nobody waits for any more.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# Routing and reading: no agent can reply within the first minute.
ROUTING_DELAY_MIN = 1.0

# Agents adapt their pace to the backlog of the past days: thorough when waits
# have been short (they also do side work then), terse after days of long waits.
# This keeps ordinary weeks at a few hours of wait instead of a knife-edge queue;
# because the pace follows days, not hours, a weekend's backlog still hits Monday
# morning, and a surge beyond EFFORT_MIN capacity still piles up into a crisis.
EFFORT_MAX = 1.6
EFFORT_MIN = 0.75
EFFORT_FULL_WAIT_MIN = 20 * 60.0
EFFORT_MEMORY_MIN = 3 * 1440.0
# The queue loop looks at its budget every this many tickets.
CHECK_EVERY = 1024


class Stopped(RuntimeError):
    """A run stopped before its end: out of time, or called off."""


@dataclass
class Budget:
    """How long a run may take, and a way to call it off.

    ``seconds`` of wall time from creation (None: no limit); ``cancelled``
    returns True once nobody waits for the result (e.g. the browser session
    ended). ``label`` names the run in the message of :class:`Stopped`.
    """

    seconds: float | None = None
    cancelled: Callable[[], bool] | None = None
    label: str = "the simulation"
    started: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        """Raise :class:`Stopped` when the time is up or the run was called off.

        The message reads "the what-if stopped after 12.0 s: it reached its time
        limit of 10 s".
        """
        elapsed = time.monotonic() - self.started
        if self.cancelled is not None and self.cancelled():
            reason = "it was cancelled (nobody waits for it any more)"
        elif self.seconds is not None and elapsed > self.seconds:
            reason = f"it reached its time limit of {self.seconds:g} s"
        else:
            return
        raise Stopped(f"{self.label} stopped after {elapsed:.1f} s: {reason}")


def agent_windows(agent: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list:
    """Return one pool's windows, ``[(agent, starts, ends), ...]`` by agent number.

    ``agent``, ``starts`` and ``ends`` list one working window each, in time
    order for each agent; the windows keep that order.
    """
    if len(agent) == 0:
        return []
    order = np.argsort(agent, kind="stable")
    ids, first = np.unique(agent[order], return_index=True)
    cuts = first[1:]
    return [
        (int(a), s.tolist(), e.tolist())
        for a, s, e in zip(
            ids, np.split(starts[order], cuts), np.split(ends[order], cuts), strict=True
        )
    ]


class TicketState:
    """What happened to each ticket, filled in by the queue loop."""

    def __init__(self, n: int) -> None:
        nan = np.full(n, np.nan)
        self.first_reply = nan.copy()
        self.first_solved = nan.copy()
        self.solved = nan.copy()
        self.last_touch = nan.copy()
        self.waiting_since = nan.copy()
        self.pending_until = nan.copy()
        self.first_agent = np.full(n, -1, dtype=np.int64)
        self.last_agent = np.full(n, -1, dtype=np.int64)
        self.replies = np.zeros(n, dtype=np.int64)
        self.reopened = np.zeros(n, dtype=bool)
        # Per agent touch: ticket, ready, start, end, is-reopen.
        self.items: list[tuple[int, float, float, float, bool]] = []


class _Pool:
    """Agents of one pool and the moments they can next take a ticket."""

    def __init__(self, windows: list) -> None:
        self.agent = [a for a, _, _ in windows]
        self.starts = [s for _, s, _ in windows]
        self.ends = [e for _, _, e in windows]
        self.ptr = [0] * len(windows)
        self.heap = [(s[0], k) for k, s in enumerate(self.starts) if s]
        heapq.heapify(self.heap)

    def next_free(self, k: int, t: float) -> float:
        """Return the first moment at or after ``t`` when agent ``k`` is on shift (inf: never)."""
        ends, p = self.ends[k], self.ptr[k]
        while p < len(ends) and ends[p] <= t:
            p += 1
        self.ptr[k] = p
        if p == len(ends):
            return math.inf
        s = self.starts[k][p]
        return t if s <= t else s

    def take(self, ready: float) -> tuple[float, int]:
        """Return when the first agent can start a ticket ready at ``ready``, and who."""
        heap = self.heap
        while heap:
            key, k = heap[0]
            if key > ready:
                return key, k
            t = self.next_free(k, ready)
            if t == ready:
                return t, k
            if t == math.inf:
                heapq.heappop(heap)
            else:
                heapq.heapreplace(heap, (t, k))
        return math.inf, -1

    def release(self, k: int, at: float) -> None:
        """Put agent ``k`` back in line, free again at ``at``."""
        heapq.heapreplace(self.heap, (self.next_free(k, at), k))


def serve_team(
    idx: np.ndarray,
    tk: dict,
    windows: dict,
    st: TicketState,
    end: float,
    budget: Budget | None = None,
) -> None:
    """Serve one team's tickets into ``st``: the live desk, then the FIFO queue with follow-ups.

    ``idx`` are the team's rows of the tickets ``tk`` (``created`` plus the
    columns of :func:`analytics.sample.desk.draw_work`); ``windows`` maps
    ``"live"`` and ``"queue"`` to the pools' :func:`agent_windows` in minutes
    since the start. ``budget`` is checked every :data:`CHECK_EVERY` tickets.
    """
    check = budget.check if budget is not None else (lambda: None)
    queue: list[tuple[float, int, int]] = []
    after_touch = _next_exchange(tk, st, queue, end)
    live = idx[tk["live"][idx]].tolist()
    served = _serve_live(live, tk, _Pool(windows["live"]), st, end, after_touch, check)
    created = tk["created"]
    queue.extend((created[i] + ROUTING_DELAY_MIN, i, 0) for i in idx[~tk["live"][idx]].tolist())
    heapq.heapify(queue)
    _serve_queue(queue, tk, _Pool(windows["queue"]), st, end, after_touch, check, served)


def _next_exchange(tk: dict, st: TicketState, queue: list, end: float) -> Callable:
    """Return ``after_touch(i, stage, finish)``, which records an agent's reply to ticket
    ``i`` and queues what the customer does next: answer back, reopen, or nothing."""
    extra, delays = tk["extra"], tk["delays"]
    reopens, reopen_delay = tk["reopens"], tk["reopen_delay"]

    def after_touch(i: int, stage: int, finish: float) -> None:
        st.last_touch[i] = finish
        if stage == 4:
            st.solved[i] = finish
            return
        if stage < extra[i]:
            ready = finish + delays[i, stage]
            if ready < end:
                heapq.heappush(queue, (ready, i, stage + 1))
            else:
                st.pending_until[i] = ready
            return
        st.first_solved[i] = finish
        st.solved[i] = finish
        if reopens[i]:
            ready = finish + reopen_delay[i]
            if ready < end:
                heapq.heappush(queue, (ready, i, 4))

    return after_touch


def _serve_live(live, tk, pool, st, end, after_touch, check) -> int:
    """Answer the live tickets ``live`` (rows of ``tk``) in arrival order on the live desk's
    ``pool``; return how many were served, for the budget's count."""
    created, handling, items = tk["created"], tk["handling"], st.items
    served = 0
    for i in live:
        served += 1
        if served % CHECK_EVERY == 0:
            check()
        ready = created[i] + ROUTING_DELAY_MIN
        start, k = pool.take(ready)
        if start >= end:
            st.waiting_since[i] = created[i]
            continue
        finish = start + handling[i, 0]
        pool.release(k, finish)
        st.first_reply[i] = start
        st.first_agent[i] = st.last_agent[i] = pool.agent[k]
        st.replies[i] = 1
        items.append((i, created[i], start, finish, False))
        after_touch(i, 0, finish)
    return served


def _serve_queue(queue, tk, pool, st, end, after_touch, check, served: int) -> None:
    """Work the heap ``queue`` of ``(ready, ticket, stage)`` first in, first out on ``pool``,
    at the agents' pace of the moment (:data:`EFFORT_MAX` down to :data:`EFFORT_MIN`)."""
    handling, items = tk["handling"], st.items
    span = EFFORT_MAX - EFFORT_MIN
    recent_wait, last_start = 0.0, 0.0
    while queue:
        ready, i, stage = heapq.heappop(queue)
        served += 1
        if served % CHECK_EVERY == 0:
            check()
        start, k = pool.take(ready)
        if start >= end:
            st.waiting_since[i] = ready
            continue
        weight = 1.0 - math.exp(-(start - last_start) / EFFORT_MEMORY_MIN)
        recent_wait += (start - ready - recent_wait) * max(weight, 1e-3)
        last_start = max(last_start, start)
        effort = EFFORT_MAX - span * min(1.0, recent_wait / EFFORT_FULL_WAIT_MIN)
        finish = start + handling[i, stage] * effort
        pool.release(k, finish)
        agent = pool.agent[k]
        if stage == 0:
            st.first_reply[i] = start
            st.first_agent[i] = agent
        st.last_agent[i] = agent
        st.replies[i] += 1
        if stage == 4:
            st.reopened[i] = True
        items.append((i, ready, start, finish, stage == 4))
        after_touch(i, stage, finish)
