import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { queueWaitSeconds, startHeartbeat, type Heartbeat } from '../heartbeat/index.js';
import type { Clock } from './clock.js';

export interface WorkerTypeSpec {
  name: string;
  stream: string;
  group: string;
  concurrency: number;
  /** Scenario seconds one task takes. */
  taskSeconds: number;
  /** Whether workers XCLAIM entries of dead consumers on their own (the seed's reclaim loop). */
  reclaim: boolean;
}

/** Attempts after which a failing entry is dead-lettered (acked and copied aside). */
export const POISON_MAX_ATTEMPTS = 40;
const RECLAIM_MIN_IDLE_SECONDS = 30;
const RETRY_BACKOFF_SECONDS = 3;
const HEARTBEAT_TTL_SECONDS = 15;
/** Tasks that fail outright (acked, outcome `error`), besides the poison message's attempts. */
const FAILURE_RATIO = 0.03;
/** Entries kept in the seed-style latency list (`latency:{type}`, elapsed ms, newest first). */
const LATENCY_LIST_LENGTH = 1000;

type Entry = [id: string, fields: string[]];

/**
 * One worker process of the demo fleet: a heartbeat (src/heartbeat), a
 * consumer named after its worker id reading its type's stream with
 * XREADGROUP, and XACK + XDEL when a task is done. It can stop cleanly (shutdown
 * marker) or crash (no marker, pending entries left behind).
 */
export class DemoWorker {
  readonly id: string;
  private readonly redis: Redis;
  private readonly heartbeat: Heartbeat;
  private running = true;
  private crashed = false;
  private inFlight = 0;
  private readonly attempts = new Map<string, number>();
  private loop: Promise<void>;

  constructor(
    readonly type: WorkerTypeSpec,
    redisUrl: string,
    private readonly clock: Clock,
    /** How many times slower than usual tasks run now (the scenario's slow period). */
    private readonly slowdown: () => number = () => 1,
  ) {
    this.id = `${type.name}-${randomBytes(3).toString('hex')}`;
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: false });
    this.redis.on('error', () => undefined);
    this.heartbeat = startHeartbeat(this.redis, { workerType: type.name, workerId: this.id, ttlSeconds: HEARTBEAT_TTL_SECONDS, handleSignals: false });
    this.loop = this.consume();
    if (type.reclaim) clock.every(RECLAIM_MIN_IDLE_SECONDS / 3, () => (this.running ? this.adoptOrphans(RECLAIM_MIN_IDLE_SECONDS) : false));
  }

  private async consume(): Promise<void> {
    while (this.running) {
      const free = this.type.concurrency - this.inFlight;
      if (free <= 0) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      try {
        const res = (await this.redis.xreadgroup('GROUP', this.type.group, this.id, 'COUNT', free, 'BLOCK', 500, 'STREAMS', this.type.stream, '>')) as [string, Entry[]][] | null;
        for (const [, entries] of res ?? []) for (const e of entries) void this.handle(e);
      } catch {
        if (this.running) await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private async handle([id, fields]: Entry): Promise<void> {
    this.inFlight++;
    // Task metrics in scenario seconds, so a 20x demo shows the latencies the story means.
    const firstDelivery = !this.attempts.has(id);
    const waitSeconds = firstDelivery ? queueWaitSeconds(id) * this.clock.speed : undefined;
    const taskSeconds = this.type.taskSeconds * this.slowdown() * (0.5 + Math.random());
    try {
      await this.clock.sleep(taskSeconds);
      if (this.crashed || !this.running) return; // a crash leaves the entry pending
      const poison = fields.includes('poison');
      const failed = poison || Math.random() < FAILURE_RATIO;
      this.heartbeat.observe({ outcome: failed ? 'error' : 'ok', durationSeconds: taskSeconds, waitSeconds });
      if (!poison) {
        // Also the seed's latency list (LPUSH + LTRIM of elapsed ms) the exporter reads as fleet_task_recent_duration_seconds.
        const latency = `latency:${this.type.name}`;
        await this.redis
          .multi()
          .xack(this.type.stream, this.type.group, id)
          .xdel(this.type.stream, id)
          .lpush(latency, Math.round(taskSeconds * 1000))
          .ltrim(latency, 0, LATENCY_LIST_LENGTH - 1)
          .exec();
        return;
      }
      const attempt = (this.attempts.get(id) ?? 1) + 1;
      if (attempt > POISON_MAX_ATTEMPTS) {
        this.attempts.delete(id);
        await this.redis
          .multi()
          .xadd(`deadletter.${this.type.name}`, 'MAXLEN', '~', 1000, '*', ...fields)
          .xack(this.type.stream, this.type.group, id)
          .xdel(this.type.stream, id)
          .exec();
        return;
      }
      this.attempts.set(id, attempt);
      // Retry in place: XCLAIM to ourselves bumps the delivery count, as a redelivery does.
      await this.clock.sleep(RETRY_BACKOFF_SECONDS);
      if (this.crashed || !this.running) return;
      const claimed = (await this.redis.xclaim(this.type.stream, this.type.group, this.id, 0, id)) as Entry[];
      for (const e of claimed) void this.handle(e);
    } catch {
      /* Redis went away: the entry stays pending, as in a real fleet */
    } finally {
      this.inFlight--;
    }
  }

  /** XCLAIMs entries idle for minIdleSeconds whose owner has no live heartbeat, and works on them. */
  async adoptOrphans(minIdleSeconds: number): Promise<number> {
    const pending = (await this.redis.xpending(this.type.stream, this.type.group, 'IDLE', Math.round(this.clock.ms(minIdleSeconds)), '-', '+', 100)) as [
      string,
      string,
      number,
      number,
    ][];
    let adopted = 0;
    for (const [id, owner] of pending) {
      if (owner === this.id) continue;
      if (await this.redis.exists(`worker:heartbeat:${this.type.name}:${owner}`)) continue;
      const claimed = (await this.redis.xclaim(this.type.stream, this.type.group, this.id, 0, id)) as Entry[];
      for (const e of claimed) void this.handle(e);
      adopted += claimed.length;
    }
    return adopted;
  }

  /** A clean scale-down: finish in-flight tasks, write the shutdown marker, leave. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    const deadline = Date.now() + 5000;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.heartbeat.stop().catch(() => undefined);
    this.redis.disconnect();
  }

  /** A crash: no marker, in-flight entries stay pending on this consumer. */
  crash(): void {
    this.crashed = true;
    this.running = false;
    this.heartbeat.abandon();
    this.redis.disconnect();
  }
}
