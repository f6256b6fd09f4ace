import { Redis } from 'ioredis';
import type { Clock } from './clock.js';
import { DemoWorker, type WorkerTypeSpec } from './worker.js';

/** The demo's worker types; deploy/fleet.compose.yml declares the same ones to the exporter. */
export const WORKER_TYPES: (WorkerTypeSpec & { replicas: number; arrivalsPerSecond: number })[] = [
  { name: 'lookup', stream: 'stream.lookup', group: 'lookup', concurrency: 2, taskSeconds: 1, reclaim: true, replicas: 3, arrivalsPerSecond: 3 },
  { name: 'score', stream: 'stream.score', group: 'score', concurrency: 1, taskSeconds: 0.8, reclaim: true, replicas: 2, arrivalsPerSecond: 2 },
  // A legacy worker without a reclaim loop: what a crashed merge worker held stays stranded.
  { name: 'merge', stream: 'stream.merge', group: 'merge', concurrency: 1, taskSeconds: 0.5, reclaim: false, replicas: 2, arrivalsPerSecond: 1 },
];

/** A stream nobody trims, with entries from two days ago: FleetStreamUnbounded. */
export const UNBOUNDED_STREAM = 'stream.audit';
const UNBOUNDED_LENGTH = 10_050;

/** Workers, producers and the Redis-side incidents of the scenario. */
export class Fleet {
  readonly admin: Redis;
  private readonly workers = new Map<string, DemoWorker[]>();
  private readonly paused = new Set<string>();
  private readonly slowdowns = new Map<string, number>();
  private ballastHeld = false;

  constructor(
    private readonly redisUrl: string,
    private readonly clock: Clock,
  ) {
    this.admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    this.admin.on('error', () => undefined);
  }

  spec(type: string) {
    const s = WORKER_TYPES.find((t) => t.name === type);
    if (!s) throw new Error(`unknown worker type ${type}`);
    return s;
  }

  live(type: string): DemoWorker[] {
    return this.workers.get(type) ?? [];
  }

  async setup(): Promise<void> {
    for (const t of WORKER_TYPES) {
      await this.admin.xgroup('CREATE', t.stream, t.group, '$', 'MKSTREAM').catch((e: Error) => {
        if (!e.message.includes('BUSYGROUP')) throw e;
      });
    }
    if ((await this.admin.xlen(UNBOUNDED_STREAM)) < UNBOUNDED_LENGTH) {
      await this.admin.del(UNBOUNDED_STREAM);
      const twoDaysAgo = Date.now() - 2 * 86_400_000;
      const p = this.admin.pipeline();
      for (let i = 0; i < UNBOUNDED_LENGTH; i++) p.xadd(UNBOUNDED_STREAM, `${twoDaysAgo + i}-0`, 'event', 'audit');
      await p.exec();
    }
  }

  /** Consumers left in a group by earlier deploys (restarts pick new ids): FleetPhantomConsumers. */
  async seedPhantoms(type: string, n: number): Promise<void> {
    const t = this.spec(type);
    for (let i = 0; i < n; i++) await this.admin.xgroup('CREATECONSUMER', t.stream, t.group, `${type}-previous-deploy-${i}`);
  }

  scaleTo(type: string, n: number): void {
    const list = this.live(type);
    while (list.length < n) list.push(new DemoWorker(this.spec(type), this.redisUrl, this.clock, () => this.slowdowns.get(type) ?? 1));
    this.workers.set(type, list);
  }

  /** Clean scale-down of every worker of a type (SIGTERM: shutdown markers). */
  async scaleDownAll(type: string): Promise<void> {
    const list = this.live(type);
    this.workers.set(type, []);
    await Promise.all(list.map((w) => w.stop()));
  }

  /** Crash `n` workers of a type (no shutdown marker; their pending entries stay). */
  crash(type: string, n = Infinity): void {
    const list = this.live(type);
    for (const w of list.splice(0, Math.min(n, list.length))) w.crash();
  }

  /** An operator XCLAIMs what dead consumers of `type` hold onto a live worker. */
  async reclaimStranded(type: string): Promise<number> {
    const w = this.live(type)[0];
    return w ? w.adoptOrphans(0) : 0;
  }

  async addPoison(type: string): Promise<void> {
    await this.admin.xadd(this.spec(type).stream, '*', 'task', 'poison', 'poison', '1');
  }

  /** Tasks of `type` take `factor` times longer (1 = back to normal). */
  slowDown(type: string, factor: number): void {
    this.slowdowns.set(type, factor);
  }

  pauseProducer(type: string, paused: boolean): void {
    if (paused) this.paused.add(type);
    else this.paused.delete(type);
  }

  /** Producers: tasks arrive at each type's rate (in scenario time). */
  startProducers(): void {
    const owed = new Map<string, number>();
    const tickSeconds = 0.25;
    this.clock.every(tickSeconds * this.clock.speed, async () => {
      const p = this.admin.pipeline();
      for (const t of WORKER_TYPES) {
        if (this.paused.has(t.name)) continue;
        const due = (owed.get(t.name) ?? 0) + t.arrivalsPerSecond * tickSeconds * this.clock.speed;
        const n = Math.floor(due);
        owed.set(t.name, due - n);
        for (let i = 0; i < n; i++) p.xadd(t.stream, '*', 'task', t.name, 'at', String(Date.now()));
      }
      await p.exec();
    });
  }

  /** Fills Redis to `ratio` of maxmemory with one key (FleetRedisMemoryHigh); false without maxmemory. */
  async holdBallast(ratio: number): Promise<boolean> {
    const info = await this.admin.info('memory');
    const field = (k: string) => Number(/^(\w+):(\d+)/m.exec(info.split('\n').find((l) => l.startsWith(`${k}:`)) ?? '')?.[2] ?? 0);
    const max = field('maxmemory');
    if (max === 0) return false;
    const bytes = Math.floor(max * ratio - field('used_memory'));
    if (bytes <= 0) return true;
    await this.admin.set('demo:ballast', Buffer.alloc(bytes, 'x'));
    this.ballastHeld = true;
    return true;
  }

  async dropBallast(): Promise<void> {
    if (this.ballastHeld) await this.admin.del('demo:ballast');
    this.ballastHeld = false;
  }

  async close(): Promise<void> {
    for (const type of this.workers.keys()) await this.scaleDownAll(type);
    await this.dropBallast().catch(() => undefined);
    this.admin.disconnect();
  }
}
