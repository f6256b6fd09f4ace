import { createRedisClient, ensureReady, type RedisClient } from '../collectors/redis/client.js';
import type { RedisConfig } from '../collectors/redis/schema.js';
import type { Config } from '../config/schema.js';
import { errorMessage } from '../redact.js';
import type { Action } from './action.js';
import { CallbackReaper } from './postgres.js';
import { readStream, Workers } from './facts.js';
import { planStream, streamSettings } from './plan.js';
import { applyRedisAction } from './redis.js';
import { SandboxStopper } from './daytona.js';
import { remediateSchema, type ActionName, type RemediateConfig } from './schema.js';

export const REDIS_ACTIONS: readonly ActionName[] = ['dead_letter', 'requeue', 'delete_consumer', 'trim'];

export interface RunOptions {
  /** Actions to consider (already narrowed by config switches and --only). */
  actions: ReadonlySet<ActionName>;
  /** --stream GLOB */
  stream?: string;
  maxActions: number;
}

type Source = 'redis' | 'postgres' | 'daytona';
export const SOURCE_OF: Record<ActionName, Source> = {
  dead_letter: 'redis',
  requeue: 'redis',
  delete_consumer: 'redis',
  trim: 'redis',
  reap_callbacks: 'postgres',
  stop_idle_sandboxes: 'daytona',
};

/** Refusals that no later write of the same source will get past: stop that source at once. */
const REFUSED = /NOPERM|NOAUTH|WRONGPASS|permission denied|read-only transaction|HTTP 40[13]/i;

/** The redis section with remediation's own credentials laid over it. */
function redisFor(cfg: RedisConfig, r: RemediateConfig['redis']): RedisConfig {
  if (!r) return cfg;
  // A URL of its own brings its own user: the exporter's username/password must not ride along.
  const base = r.url ? { ...cfg, url: r.url, username: undefined, password: undefined } : cfg;
  return { ...base, username: r.username ?? base.username, password: r.password ?? base.password };
}

/**
 * One remediation run: open the configured sources, plan, and (if asked)
 * apply. Sources fail independently: a source that cannot be read is an
 * error in `errors`, and the others still plan and apply.
 */
export class Remediation {
  readonly cfg: RemediateConfig;
  readonly errors: string[] = [];
  /** Actions found beyond --max-actions. */
  notPlanned = 0;
  private redis?: { client: RedisClient; workers: Workers };
  private reaper?: CallbackReaper;
  private stopper?: SandboxStopper;
  private readonly signal = new AbortController();

  constructor(
    private readonly config: Config,
    private readonly opts: RunOptions,
  ) {
    this.cfg = config.remediate ?? remediateSchema.parse({});
  }

  private wants(source: Source): boolean {
    return [...this.opts.actions].some((a) => SOURCE_OF[a] === source);
  }

  private fail(source: Source, err: unknown): void {
    this.errors.push(`${source}: ${errorMessage(err)}`);
  }

  async open(): Promise<void> {
    const { redis, postgres, daytona } = this.config;
    const opening: Promise<void>[] = [];
    if (redis && this.wants('redis')) {
      const cfg = redisFor(redis, this.cfg.redis);
      const client = createRedisClient(cfg);
      client.on('error', () => undefined); // reported by ensureReady or by the failing command
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), cfg.timeout_seconds * 1000);
      opening.push(
        ensureReady(client, timeout.signal)
          .finally(() => clearTimeout(timer))
          .then(
            () => void (this.redis = { client, workers: new Workers(cfg) }),
            (err) => {
              client.disconnect();
              this.fail('redis', err);
            },
          ),
      );
    }
    if (postgres && this.wants('postgres')) {
      const reaper = new CallbackReaper(postgres, this.cfg);
      opening.push(
        reaper.connect().then(
          () => void (this.reaper = reaper),
          (err) => {
            void reaper.close();
            this.fail('postgres', err);
          },
        ),
      );
    }
    if (daytona && this.wants('daytona')) this.stopper = new SandboxStopper(daytona, this.cfg);
    await Promise.all(opening);
  }

  async plan(): Promise<Action[]> {
    const out: Action[] = [];
    const take = (found: Action[]) => {
      const room = Math.max(0, this.opts.maxActions - out.length);
      out.push(...found.slice(0, room));
      this.notPlanned += Math.max(0, found.length - room);
    };
    if (this.redis) {
      try {
        const { client, workers } = this.redis;
        const enabled = new Set<string>(REDIS_ACTIONS.filter((a) => this.opts.actions.has(a)));
        for (const name of await workers.streams(client, this.opts.stream)) {
          const facts = await readStream(client, workers, name, { pageSize: this.cfg.batch_size, pendingLimit: this.cfg.pending_scan_limit });
          if (facts) take(planStream(facts, streamSettings(this.cfg, name, enabled), this.cfg.batch_size));
        }
      } catch (err) {
        this.fail('redis', err);
      }
    }
    if (this.reaper && this.opts.actions.has('reap_callbacks')) {
      try {
        // One batch more than there is room for: enough to tell that more are waiting.
        take(await this.reaper.plan(Math.max(0, this.opts.maxActions - out.length) + 1));
      } catch (err) {
        this.fail('postgres', err);
      }
    }
    if (this.stopper && this.opts.actions.has('stop_idle_sandboxes')) {
      try {
        take(await this.stopper.plan(this.signal.signal));
      } catch (err) {
        this.fail('daytona', err);
      }
    }
    return out;
  }

  /** Applies each action in order; `onDone` sees each one as soon as it is settled. */
  async apply(actions: Action[], onDone: (a: Action) => void = () => undefined): Promise<void> {
    const refused = new Map<Source, string>();
    for (const a of actions) {
      const source = SOURCE_OF[a.action];
      if (a.skipped === null) {
        const why = refused.get(source);
        if (why) a.skipped = `not attempted: an earlier ${source} write was refused (${why})`;
        else {
          try {
            if (source === 'redis') await applyRedisAction(this.redis!.client, this.redis!.workers, a);
            else if (source === 'postgres') await this.reaper!.apply(a);
            else await this.stopper!.apply(a, this.signal.signal);
          } catch (err) {
            const msg = errorMessage(err);
            a.failed = true;
            a.skipped = `error: ${msg}`;
            if (REFUSED.test(msg)) refused.set(source, msg);
          }
        }
      }
      onDone(a);
    }
  }

  async close(): Promise<void> {
    this.signal.abort();
    this.redis?.client.disconnect();
    await this.reaper?.close();
  }
}

/** Which sources the chosen actions need, for a config problem up front. */
export function missingSources(config: Config, actions: Iterable<ActionName>): string[] {
  const out = new Set<string>();
  for (const a of actions) {
    const s = SOURCE_OF[a];
    if (config[s] === undefined) out.add(`${a} needs a ${s} section`);
  }
  return [...out];
}
