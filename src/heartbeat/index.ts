import type { Redis } from 'ioredis';
import { queueWaitSeconds, TaskMetrics, type Observation } from './task-metrics.js';

export { DEFAULT_DURATION_BUCKETS, DEFAULT_WAIT_BUCKETS, queueWaitSeconds, type Observation } from './task-metrics.js';

export interface HeartbeatOptions {
  workerType: string;
  workerId: string;
  /** Heartbeat key TTL in seconds (default 15); the key is refreshed every ttl/3. */
  ttlSeconds?: number;
  /** TTL of the clean-shutdown marker (default 120 s, well over the heartbeat TTL). */
  shutdownTtlSeconds?: number;
  key?: string;
  shutdownKey?: string;
  /** Install SIGTERM/SIGINT handlers that write the shutdown marker (default true). */
  handleSignals?: boolean;
  /** Task metrics flushed with each heartbeat into one hash per worker type. */
  taskMetrics?: {
    /** Hash key template (default `worker:metrics:{worker_type}`, the exporter's `redis.task_metrics.key`). */
    key?: string;
    /** Upper bounds in seconds (default: OpenTelemetry's messaging duration buckets, 5 ms to 10 s). */
    durationBuckets?: readonly number[];
    /** Upper bounds in seconds (default 50 ms to 30 min). */
    waitBuckets?: readonly number[];
  };
}

export interface WrapOptions {
  /** The stream entry id: its time gives the queue wait, counted from now (the delivery). */
  entryId?: string;
  /** Queue wait in seconds, when it is known otherwise (wins over entryId). */
  waitSeconds?: number;
}

export interface Heartbeat {
  /** Records one finished task, in memory; it reaches Redis with the next heartbeat. */
  observe(observation: Observation): void;
  /** Runs a task, timing it: outcome `ok`, or `error` when it throws (the error is rethrown). */
  wrap<T>(task: () => T | Promise<T>, opts?: WrapOptions): Promise<T>;
  /** Flushes recorded observations now (the heartbeat does it every ttl/3). */
  flush(): Promise<void>;
  /** Flushes, writes the shutdown marker, deletes the heartbeat and stops refreshing (a clean scale-down). */
  stop(): Promise<void>;
  /** Stops refreshing without a marker or a flush, as a crash would (for tests and demos). */
  abandon(): void;
}

const fill = (template: string, type: string, id = '') => template.replace('{worker_type}', type).replace('{worker_id}', id);

/**
 * Keeps `worker:heartbeat:{worker_type}:{worker_id}` alive while the worker
 * runs (value: unix time in seconds, so the exporter can tell its age), and on
 * SIGTERM/SIGINT writes `worker:shutdown:{worker_type}:{worker_id}` before
 * exiting, so a clean scale-down can be told from a crash.
 *
 * Task observations ride along: each tick is one MULTI with the HINCRBYs of
 * what was observed since the last one and the heartbeat SET; the stop is one
 * MULTI with the last HINCRBYs, then the marker. A SIGKILL loses at most the
 * observations of one tick (ttl/3, 5 s by default).
 */
export function startHeartbeat(redis: Redis, opts: HeartbeatOptions): Heartbeat {
  const ttl = opts.ttlSeconds ?? 15;
  const key = fill(opts.key ?? 'worker:heartbeat:{worker_type}:{worker_id}', opts.workerType, opts.workerId);
  const shutdownKey = fill(opts.shutdownKey ?? 'worker:shutdown:{worker_type}:{worker_id}', opts.workerType, opts.workerId);
  const metricsKey = fill(opts.taskMetrics?.key ?? 'worker:metrics:{worker_type}', opts.workerType);
  const metrics = new TaskMetrics(opts.taskMetrics?.durationBuckets, opts.taskMetrics?.waitBuckets);

  // Writes run one after another, so a failed tick's counts are back in memory before the next drains them.
  let chain: Promise<unknown> = Promise.resolve();
  const write = (withRest: (m: ReturnType<Redis['multi']>) => void): Promise<void> => {
    const next = chain.then(async () => {
      const m = redis.multi();
      const undo = metrics.drainInto(m, metricsKey);
      withRest(m);
      try {
        await m.exec();
      } catch (err) {
        undo?.();
        throw err;
      }
    });
    chain = next.catch(() => undefined);
    return next;
  };
  const now = () => String(Math.floor(Date.now() / 1000));
  const beat = () => write((m) => m.set(key, now(), 'EX', ttl)).catch(() => undefined);
  void beat();
  const timer = setInterval(beat, Math.max(1000, (ttl * 1000) / 3));
  timer.unref();

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    await write((m) => m.set(shutdownKey, now(), 'EX', opts.shutdownTtlSeconds ?? 120).del(key));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    void stop()
      .catch(() => undefined)
      .finally(() => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        process.kill(process.pid, signal); // re-raise: the default handler exits as the signal asks
      });
  };
  if (opts.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  const observe = (o: Observation) => metrics.observe(o);
  return {
    observe,
    async wrap(task, wrapOpts = {}) {
      const waitSeconds = wrapOpts.waitSeconds ?? (wrapOpts.entryId !== undefined ? queueWaitSeconds(wrapOpts.entryId) : undefined);
      const started = performance.now();
      try {
        const result = await task();
        observe({ outcome: 'ok', durationSeconds: (performance.now() - started) / 1000, waitSeconds });
        return result;
      } catch (err) {
        observe({ outcome: 'error', durationSeconds: (performance.now() - started) / 1000, waitSeconds });
        throw err;
      }
    },
    flush: () => (metrics.unflushed > 0 ? write(() => undefined) : chain.then(() => undefined)),
    stop: async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await stop();
    },
    abandon: () => {
      stopped = true;
      clearInterval(timer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
