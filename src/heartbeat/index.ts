import type { Redis } from 'ioredis';

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
}

export interface Heartbeat {
  /** Writes the shutdown marker, deletes the heartbeat and stops refreshing (a clean scale-down). */
  stop(): Promise<void>;
  /** Stops refreshing without a marker, as a crash would (for tests and demos). */
  abandon(): void;
}

const fill = (template: string, type: string, id: string) =>
  template.replace('{worker_type}', type).replace('{worker_id}', id);

/**
 * Keeps `worker:heartbeat:{worker_type}:{worker_id}` alive while the worker
 * runs (value: unix time in seconds, so the exporter can tell its age), and on
 * SIGTERM/SIGINT writes `worker:shutdown:{worker_type}:{worker_id}` before
 * exiting, so a clean scale-down can be told from a crash.
 */
export function startHeartbeat(redis: Redis, opts: HeartbeatOptions): Heartbeat {
  const ttl = opts.ttlSeconds ?? 15;
  const key = fill(opts.key ?? 'worker:heartbeat:{worker_type}:{worker_id}', opts.workerType, opts.workerId);
  const shutdownKey = fill(opts.shutdownKey ?? 'worker:shutdown:{worker_type}:{worker_id}', opts.workerType, opts.workerId);
  const beat = () => redis.set(key, String(Math.floor(Date.now() / 1000)), 'EX', ttl).catch(() => undefined);
  void beat();
  const timer = setInterval(beat, Math.max(1000, (ttl * 1000) / 3));
  timer.unref();

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    await redis
      .multi()
      .set(shutdownKey, String(Math.floor(Date.now() / 1000)), 'EX', opts.shutdownTtlSeconds ?? 120)
      .del(key)
      .exec();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    void stop().finally(() => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.kill(process.pid, signal); // re-raise: the default handler exits as the signal asks
    });
  };
  if (opts.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return {
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
