/**
 * Reads what the Redis planner needs, with the exporter's own readers:
 * stream discovery (SCAN TYPE stream), XINFO parsers, and the heartbeat and
 * shutdown-marker lookup the collector runs (same keys, same notion of alive).
 * Every read is bounded: XPENDING pages of batch_size, at most
 * pending_scan_limit entries per group.
 */
import type { RedisClient } from '../collectors/redis/client.js';
import { masterNodes } from '../collectors/redis/client.js';
import { Discovery, Pacer } from '../collectors/redis/discovery.js';
import { lookupHeartbeats, WorkerTable } from '../collectors/redis/heartbeats.js';
import { KeyTemplate } from '../collectors/redis/keys.js';
import { globToRegExp } from './glob.js';
import type { PendingEntry } from '../collectors/redis/parse.js';
import { parseTime, parseXinfoConsumers, parseXinfoGroups, parseXinfoStream } from '../collectors/redis/parse.js';
import type { RedisConfig } from '../collectors/redis/schema.js';
import type { StreamFacts } from './plan.js';

/** Extended XPENDING rows: [id, consumer, idle ms, deliveries]. */
export function parsePendingPage(reply: unknown): PendingEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((r) => {
    const [id, consumer, idle, deliveries] = r as unknown[];
    return { id: String(id), consumer: String(consumer), idleMs: Number(idle), deliveries: Number(deliveries) };
  });
}

/** How the exporter names and finds workers: the heartbeat settings and each stream's worker type. */
export class Workers {
  readonly heartbeatKey: KeyTemplate;
  readonly shutdownKey: KeyTemplate;
  private readonly typeOfStream: Map<string, string>;

  constructor(private readonly cfg: RedisConfig) {
    this.heartbeatKey = new KeyTemplate(cfg.heartbeats.key);
    this.shutdownKey = new KeyTemplate(cfg.heartbeats.shutdown_key);
    this.typeOfStream = new Map(cfg.worker_types.filter((w) => w.stream).map((w) => [w.stream!, w.name]));
  }

  typeOf(stream: string): string {
    return this.typeOfStream.get(stream) ?? stream;
  }

  /** Whether each consumer has a live heartbeat and a shutdown marker, as the collector decides it. */
  async lookup(client: RedisClient, stream: string, consumers: readonly string[]): Promise<{ alive: boolean[]; marker: boolean[] }> {
    const table = new WorkerTable(this.heartbeatKey, Math.max(consumers.length, 1));
    const type = this.typeOf(stream);
    const slots = consumers.map((c) => table.slot(type, c));
    const nowMs = parseTime(await client.time());
    await lookupHeartbeats(client, table, slots, [], { shutdownKey: this.shutdownKey, ttlSeconds: this.cfg.heartbeats.ttl_seconds }, nowMs);
    return { alive: slots.map((i) => table.alive[i] === 1), marker: slots.map((i) => table.markers[i] === 1) };
  }

  /** The streams the exporter watches (patterns, names, worker types), narrowed by --stream. */
  async streams(client: RedisClient, only?: string): Promise<string[]> {
    const names = new Set<string>([...this.cfg.streams.names, ...this.typeOfStream.keys()]);
    // The exporter's own discovery, paced the same way.
    const patterns = this.cfg.streams.patterns;
    const discovery = new Discovery(
      patterns.map((match) => ({ match, type: 'stream' })),
      new Pacer(this.cfg.discovery_max_redis_share),
    );
    await discovery.pass(() => masterNodes(client));
    patterns.forEach((_, i) => discovery.keys(i).forEach((k) => names.add(k)));
    const match = only ? globToRegExp(only) : undefined;
    return [...names].filter((n) => !match || match.test(n)).sort();
  }
}

/** Pages through a group's pending entries, oldest first, up to `limit`. */
async function readPending(client: RedisClient, stream: string, group: string, pageSize: number, limit: number): Promise<PendingEntry[]> {
  const out: PendingEntry[] = [];
  let start = '-';
  while (out.length < limit) {
    const count = Math.min(pageSize, limit - out.length);
    const page = parsePendingPage(await client.xpending(stream, group, start, '+', count));
    out.push(...page);
    if (page.length < count) break;
    start = `(${page[page.length - 1]!.id}`;
  }
  return out;
}

function isMissingOrWrongType(e: unknown): boolean {
  return /no such key|WRONGTYPE|requires the key to exist/i.test((e as Error).message);
}

/** Everything the planner needs about one stream; undefined if it is gone or not a stream. */
export async function readStream(client: RedisClient, workers: Workers, name: string, opts: { pageSize: number; pendingLimit: number }): Promise<StreamFacts | undefined> {
  let info, groups;
  try {
    [info, groups] = await Promise.all([client.xinfo('STREAM', name), client.xinfo('GROUPS', name)]);
  } catch (err) {
    if (isMissingOrWrongType(err)) return undefined;
    throw err;
  }
  const stream = parseXinfoStream(info);
  const facts: StreamFacts = { name, length: stream.length, firstEntryId: stream.firstEntryId, groups: [] };
  for (const g of parseXinfoGroups(groups)) {
    const cols = parseXinfoConsumers(await client.xinfo('CONSUMERS', name, g.name));
    const { alive, marker } = await workers.lookup(client, name, cols.names);
    facts.groups.push({
      name: g.name,
      pending: g.pending,
      lastDeliveredId: g.lastDeliveredId ?? '0-0',
      consumers: cols.names.map((n, i) => ({ name: n, pending: cols.pending[i]!, idleMs: cols.idleMs[i]!, alive: alive[i]!, marker: marker[i]! })),
      pendingEntries: g.pending > 0 ? await readPending(client, name, g.name, opts.pageSize, opts.pendingLimit) : [],
    });
  }
  return facts;
}
