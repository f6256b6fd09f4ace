"""Heartbeats, clean-shutdown markers and task metrics for Python workers.

The Python twin of fleet-exporter's Node helper (``fleet-exporter/heartbeat``),
writing the same keys in the same wire format (docs/task-metrics.md). Only
dependency: redis-py.

    hb = fleet_worker.start_heartbeat(redis_client, "lookup", consumer_name)
    ...
    with hb.task(entry_id=msg_id):          # times it; an exception counts as outcome "error"
        handle(msg)

A background thread refreshes ``worker:heartbeat:{worker_type}:{worker_id}``
every ttl/3 and, in the same MULTI, adds what was observed since the last tick
to the hash ``worker:metrics:{worker_type}``. On SIGTERM/SIGINT (or ``stop()``)
the last observations are flushed, then the shutdown marker is written, then
the signal is re-raised. A SIGKILL loses at most one tick (5 s by default).
"""

import math
import re
import signal
import threading
import time
from contextlib import contextmanager

# OpenTelemetry's advisory buckets for messaging.process.duration, in seconds.
DEFAULT_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
# Queue wait under backlog runs far longer than a task: 50 ms to 30 min.
DEFAULT_WAIT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

_OUTCOME = re.compile(r"[a-z_]{1,32}\Z")


def format_le(le):
    """``le`` as the Node helper writes it (``1``, ``0.25``, ``+Inf``), so both share hash fields."""
    if le == math.inf:
        return "+Inf"
    return str(int(le)) if float(le).is_integer() else repr(float(le))


def queue_wait_seconds(entry_id, delivered_at=None):
    """Delivery time (unix seconds, default now) minus the time in a stream entry id, clamped at 0."""
    if isinstance(entry_id, bytes):
        entry_id = entry_id.decode()
    try:
        ms = int(entry_id.split("-", 1)[0])
    except ValueError:
        return 0.0
    delivered_at = time.time() if delivered_at is None else delivered_at
    return max(0.0, delivered_at - ms / 1000)


class _Buckets:
    def __init__(self, bounds, prefix):
        bounds = tuple(bounds)
        if any(not math.isfinite(b) or b < 0 for b in bounds) or any(b <= a for a, b in zip(bounds, bounds[1:])):
            raise ValueError(prefix + " buckets must be finite, non-negative and increasing")
        self.bounds = bounds
        self.prefix = prefix
        self.fields = [prefix + "_bucket:" + format_le(b) for b in bounds + (math.inf,)]
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value):
        i = 0
        while i < len(self.bounds) and value > self.bounds[i]:
            i += 1
        self.counts[i] += 1
        self.sum += value

    def write(self, pipe, key, layout):
        for field, n in zip(self.fields, self.counts):
            if layout or n:
                pipe.hincrby(key, field, n)
        if layout or self.sum:
            pipe.hincrbyfloat(key, self.prefix + "_sum", self.sum)

    def add(self, other):
        self.counts = [a + b for a, b in zip(self.counts, other.counts)]
        self.sum += other.sum


class TaskMetrics:
    """Observations summed in memory between flushes (thread-safe)."""

    def __init__(self, duration_buckets=DEFAULT_DURATION_BUCKETS, wait_buckets=DEFAULT_WAIT_BUCKETS):
        self._duration_bounds = tuple(duration_buckets)
        self._wait_bounds = tuple(wait_buckets)
        # Re-entrant: a signal handler may flush while the main thread is inside observe().
        self._lock = threading.RLock()
        self._layout_written = False
        self._reset()

    def _reset(self):
        self._duration = _Buckets(self._duration_bounds, "duration")
        self._wait = _Buckets(self._wait_bounds, "wait")
        self._outcomes = {}
        self._observed = 0

    def observe(self, outcome="ok", duration_seconds=0.0, wait_seconds=None):
        if not isinstance(outcome, str) or not _OUTCOME.match(outcome):
            raise ValueError("outcome must match [a-z_]{1,32}: %r" % (outcome,))
        if not math.isfinite(duration_seconds):
            raise ValueError("duration_seconds must be finite: %r" % (duration_seconds,))
        with self._lock:
            self._duration.observe(max(0.0, duration_seconds))
            if wait_seconds is not None and math.isfinite(wait_seconds):
                self._wait.observe(max(0.0, wait_seconds))
            self._outcomes[outcome] = self._outcomes.get(outcome, 0) + 1
            self._observed += 1

    @property
    def unflushed(self):
        return self._observed

    def drain_into(self, pipe, key):
        """Queues the HINCRBYs on ``pipe`` and returns an undo for a failed EXEC (None when nothing to flush)."""
        with self._lock:
            if self._observed == 0:
                return None
            layout = not self._layout_written
            duration, wait, outcomes, observed = self._duration, self._wait, self._outcomes, self._observed
            duration.write(pipe, key, layout)
            wait.write(pipe, key, layout)
            for outcome, n in outcomes.items():
                pipe.hincrby(key, "tasks:" + outcome, n)
            self._reset()
            self._layout_written = True

        def undo():
            with self._lock:
                self._duration.add(duration)
                self._wait.add(wait)
                for o, n in outcomes.items():
                    self._outcomes[o] = self._outcomes.get(o, 0) + n
                self._observed += observed
                if layout:
                    self._layout_written = False

        return undo


def _fill(template, worker_type, worker_id=""):
    return template.replace("{worker_type}", worker_type).replace("{worker_id}", worker_id)


class Heartbeat:
    """See the module docstring; build it with ``start_heartbeat``."""

    def __init__(self, redis, worker_type, worker_id, ttl_seconds=15, shutdown_ttl_seconds=120,
                 key="worker:heartbeat:{worker_type}:{worker_id}",
                 shutdown_key="worker:shutdown:{worker_type}:{worker_id}",
                 metrics_key="worker:metrics:{worker_type}",
                 duration_buckets=DEFAULT_DURATION_BUCKETS, wait_buckets=DEFAULT_WAIT_BUCKETS,
                 handle_signals=True):
        self._redis = redis
        self._ttl = int(ttl_seconds)
        self._shutdown_ttl = int(shutdown_ttl_seconds)
        self._key = _fill(key, worker_type, worker_id)
        self._shutdown_key = _fill(shutdown_key, worker_type, worker_id)
        self._metrics_key = _fill(metrics_key, worker_type)
        self.metrics = TaskMetrics(duration_buckets, wait_buckets)
        self._write_lock = threading.RLock()
        self._stopped = threading.Event()
        self._previous = {}
        if handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        self._thread = threading.Thread(target=self._run, name="fleet-heartbeat", daemon=True)
        self._thread.start()

    def _write(self, extra, raise_errors=False):
        """One MULTI: the pending HINCRBYs, then ``extra`` (heartbeat SET, or marker + DEL)."""
        with self._write_lock:
            pipe = self._redis.pipeline(transaction=True)
            undo = self.metrics.drain_into(pipe, self._metrics_key)
            extra(pipe)
            try:
                # A command error (a key of another type) does not undo the rest of the MULTI: no retry.
                pipe.execute(raise_on_error=False)
            except Exception:
                if undo:
                    undo()
                if raise_errors:
                    raise

    def _beat(self, pipe):
        pipe.set(self._key, str(int(time.time())), ex=self._ttl)

    def _run(self):
        interval = max(1.0, self._ttl / 3)
        while True:
            self._write(self._beat)
            if self._stopped.wait(interval):
                return

    def observe(self, outcome="ok", duration_seconds=0.0, wait_seconds=None):
        """Records one finished task in memory; it reaches Redis with the next heartbeat."""
        self.metrics.observe(outcome, duration_seconds, wait_seconds)

    def observe_task(self, entry_id, started_at, outcome="ok", finished_at=None):
        """For workers that stamp a task's start (unix seconds, e.g. ``_started_at``) when it is delivered."""
        finished_at = time.time() if finished_at is None else finished_at
        self.observe(outcome, finished_at - started_at, queue_wait_seconds(entry_id, started_at))

    @contextmanager
    def task(self, entry_id=None, wait_seconds=None):
        """Times the block: outcome ``ok``, or ``error`` when it raises (the exception propagates)."""
        if wait_seconds is None and entry_id is not None:
            wait_seconds = queue_wait_seconds(entry_id)
        started = time.perf_counter()
        try:
            yield
        except BaseException:
            self.observe("error", time.perf_counter() - started, wait_seconds)
            raise
        self.observe("ok", time.perf_counter() - started, wait_seconds)

    def flush(self):
        """Writes recorded observations now (the heartbeat thread does it every ttl/3)."""
        self._write(lambda pipe: None, raise_errors=True)

    def stop(self):
        """Flushes, writes the shutdown marker, deletes the heartbeat (a clean scale-down)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._restore_signals()

        def marker(pipe):
            pipe.set(self._shutdown_key, str(int(time.time())), ex=self._shutdown_ttl)
            pipe.delete(self._key)

        self._write(marker, raise_errors=True)

    def abandon(self):
        """Stops refreshing without a marker or a flush, as a crash would (tests, demos)."""
        self._stopped.set()
        self._restore_signals()

    def _restore_signals(self):
        if threading.current_thread() is threading.main_thread():
            for sig, previous in self._previous.items():
                signal.signal(sig, previous)
        self._previous = {}

    def _on_signal(self, signum, frame):
        previous = self._previous.get(signum, signal.SIG_DFL)
        try:
            self.stop()
        finally:
            # Re-raise under the handler that was there before (default: the process dies of the signal).
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
            signal.raise_signal(signum)


def start_heartbeat(redis, worker_type, worker_id, **options):
    """Starts heartbeats (and task metrics) for one worker; see ``Heartbeat`` for the options."""
    return Heartbeat(redis, worker_type, worker_id, **options)
