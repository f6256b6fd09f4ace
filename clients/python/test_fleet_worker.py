"""Tests of fleet_worker against a real redis-server started here (run by test/python-worker.test.ts)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import redis

import fleet_worker

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return
        except redis.exceptions.ConnectionError:
            pass
        time.sleep(0.05)
    raise AssertionError("condition not met within %ss" % timeout)


class RedisServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fleet-py-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = redis.Redis(port=self.port, decode_responses=True)
        wait_for(self.client.ping)

    def close(self):
        self.client.close()
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class FleetWorkerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = RedisServer()
        cls.r = cls.server.client

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.r.flushall()

    def test_observations_reach_the_hash_with_every_bucket_on_the_first_flush(self):
        hb = fleet_worker.start_heartbeat(self.r, "score", "w1", handle_signals=False)
        hb.observe("ok", 0.02, wait_seconds=3)
        hb.observe("ok", 0.02, wait_seconds=0.01)
        hb.observe("error", 12.5)
        hb.flush()
        h = self.r.hgetall("worker:metrics:score")
        self.assertEqual(h["tasks:ok"], "2")
        self.assertEqual(h["tasks:error"], "1")
        self.assertEqual(h["duration_bucket:0.025"], "2")
        self.assertEqual(h["duration_bucket:+Inf"], "1")
        self.assertEqual(h["duration_bucket:0.005"], "0", "the first flush writes every bucket")
        self.assertEqual(h["wait_bucket:0.05"], "1")
        self.assertEqual(h["wait_bucket:5"], "1")
        self.assertAlmostEqual(float(h["duration_sum"]), 12.54)
        self.assertAlmostEqual(float(h["wait_sum"]), 3.01)
        self.assertEqual(len([f for f in h if f.startswith("duration_bucket:")]), 15)
        hb.observe("ok", 0.3)
        hb.flush()
        self.assertEqual(self.r.hget("worker:metrics:score", "duration_bucket:0.5"), "1")
        self.assertEqual(self.r.hget("worker:metrics:score", "tasks:ok"), "3")
        hb.stop()

    def test_stop_flushes_then_writes_the_marker_and_removes_the_heartbeat(self):
        hb = fleet_worker.start_heartbeat(self.r, "score", "w2", ttl_seconds=9, handle_signals=False)
        wait_for(lambda: self.r.exists("worker:heartbeat:score:w2") == 1)
        self.assertLessEqual(self.r.ttl("worker:heartbeat:score:w2"), 9)
        hb.observe("ok", 1)
        hb.stop()
        self.assertEqual(self.r.hget("worker:metrics:score", "tasks:ok"), "1")
        self.assertEqual(self.r.exists("worker:heartbeat:score:w2"), 0)
        self.assertGreater(self.r.ttl("worker:shutdown:score:w2"), 9)

    def test_task_times_the_block_and_an_exception_counts_as_error_and_propagates(self):
        hb = fleet_worker.start_heartbeat(self.r, "score", "w3", handle_signals=False)
        with hb.task(entry_id="%d-0" % (time.time() * 1000 - 2000)):
            time.sleep(0.06)
        with self.assertRaises(KeyError):
            with hb.task():
                raise KeyError("boom")
        hb.flush()
        h = self.r.hgetall("worker:metrics:score")
        self.assertEqual((h["tasks:ok"], h["tasks:error"]), ("1", "1"))
        self.assertGreaterEqual(float(h["duration_sum"]), 0.06)
        self.assertEqual(h["wait_bucket:2.5"], "1", "waited about 2 s")
        self.assertEqual(sum(int(v) for k, v in h.items() if k.startswith("wait_bucket:")), 1, "no wait without an entry id")
        hb.stop()

    def test_a_failed_flush_keeps_the_counts_for_the_next_one(self):
        dead = redis.Redis(port=free_port(), socket_connect_timeout=0.2)
        hb = fleet_worker.start_heartbeat(dead, "score", "w4", handle_signals=False)
        hb.observe("ok", 0.1)
        with self.assertRaises(redis.exceptions.ConnectionError):
            hb.flush()
        self.assertEqual(hb.metrics.unflushed, 1)
        hb._redis = self.r  # the same worker once Redis is back
        hb.flush()
        h = self.r.hgetall("worker:metrics:score")
        self.assertEqual(h["tasks:ok"], "1")
        self.assertEqual(h["duration_bucket:0.005"], "0", "the layout is written by the flush that succeeds")
        hb.abandon()

    def test_observe_task_takes_duration_and_wait_from_the_started_at_stamp(self):
        hb = fleet_worker.start_heartbeat(self.r, "score", "w6", handle_signals=False)
        hb.observe_task("1000000-0", 1040.0, "error", finished_at=1040.3)
        hb.flush()
        h = self.r.hgetall("worker:metrics:score")
        self.assertEqual(h["tasks:error"], "1")
        self.assertEqual(h["duration_bucket:0.5"], "1")
        self.assertEqual(h["wait_bucket:60"], "1", "delivered 40 s after the entry was added")
        hb.stop()

    def test_queue_wait_is_delivery_minus_the_entry_id_time_clamped_at_zero(self):
        self.assertAlmostEqual(fleet_worker.queue_wait_seconds("1000000-3", 1002.5), 2.5)
        self.assertEqual(fleet_worker.queue_wait_seconds(b"5000000-0", 1000), 0.0)
        self.assertEqual(fleet_worker.queue_wait_seconds("not-an-id", 1000), 0.0)

    def test_bad_outcomes_and_buckets_are_refused(self):
        with self.assertRaises(ValueError):
            fleet_worker.TaskMetrics().observe("Worker-42", 1)
        with self.assertRaises(ValueError):
            fleet_worker.TaskMetrics(duration_buckets=(1, 0.5))

    def test_a_worker_killed_with_sigterm_flushes_everything_then_dies_of_the_signal(self):
        script = (
            "import sys, time, redis, fleet_worker\n"
            "r = redis.Redis(port=%d)\n"
            "hb = fleet_worker.start_heartbeat(r, 'merge', 'w5', ttl_seconds=60)\n"
            "for i in range(500):\n"
            "    hb.observe('ok' if i %% 5 else 'error', 0.001 * i)\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n" % self.server.port
        )
        env = dict(os.environ, PYTHONPATH=HERE)
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True)
        self.assertEqual(child.stdout.readline().strip(), "ready")
        child.send_signal(signal.SIGTERM)
        self.assertEqual(child.wait(10), -signal.SIGTERM)
        child.stdout.close()
        h = self.r.hgetall("worker:metrics:merge")
        self.assertEqual((h["tasks:ok"], h["tasks:error"]), ("400", "100"))
        self.assertEqual(sum(int(v) for k, v in h.items() if k.startswith("duration_bucket:")), 500)
        self.assertEqual(self.r.exists("worker:shutdown:merge:w5"), 1)
        self.assertEqual(self.r.exists("worker:heartbeat:merge:w5"), 0)


if __name__ == "__main__":
    unittest.main()
