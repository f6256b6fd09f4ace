/**
 * The Redis half of the planner: pure, from facts read once (facts.ts) to the
 * list of actions. Consumers are classified by the exporter's own
 * consumerState(), so a plan names exactly what the alerts count.
 */
import { consumerState } from '../collectors/redis/metrics.js';
import { globToRegExp } from './glob.js';
import type { PendingEntry } from '../collectors/redis/parse.js';
import type { Action } from './action.js';
import type { RemediateConfig } from './schema.js';

export interface ConsumerFacts {
  name: string;
  pending: number;
  /** XINFO CONSUMERS `idle`: since the last read attempt (not `inactive`). */
  idleMs: number;
  alive: boolean;
  /** A clean-shutdown marker exists. */
  marker: boolean;
}

export interface GroupFacts {
  name: string;
  pending: number;
  lastDeliveredId: string;
  consumers: ConsumerFacts[];
  /** The oldest pending entries, oldest first, as many as pending_scan_limit allows. */
  pendingEntries: PendingEntry[];
}

export interface StreamFacts {
  name: string;
  length: number;
  firstEntryId?: string;
  groups: GroupFacts[];
}

/** The thresholds in force for one stream: the defaults, or the first matching override. */
export interface StreamSettings {
  phantomIdleMs: number;
  strandedIdleMs: number;
  maxDeliveries: number;
  deadLetterKey: string;
  actions: ReadonlySet<string>;
}

export function streamSettings(cfg: RemediateConfig, stream: string, enabled: ReadonlySet<string>): StreamSettings {
  const override = Object.entries(cfg.streams).find(([glob]) => globToRegExp(glob).test(stream))?.[1] ?? {};
  return {
    phantomIdleMs: (override.phantom_idle_seconds ?? cfg.phantom_idle_seconds) * 1000,
    strandedIdleMs: (override.stranded_idle_seconds ?? cfg.stranded_idle_seconds) * 1000,
    maxDeliveries: override.max_deliveries ?? cfg.max_deliveries,
    deadLetterKey: (override.dead_letter_key ?? cfg.dead_letter_key).replaceAll('{stream}', stream),
    actions: override.actions ? new Set(override.actions.filter((a) => enabled.has(a))) : enabled,
  };
}

/** Stream IDs compared numerically ("ms-seq"), as Redis orders them. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint?];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint?];
  if (am !== bm) return am < bm ? -1 : 1;
  const x = as ?? 0n;
  const y = bs ?? 0n;
  return x === y ? 0 : x < y ? -1 : 1;
}

/** The ID right after `id`: the first one a group has not been delivered yet. */
export function nextId(id: string): string {
  const [ms, seq = '0'] = id.split('-');
  return `${ms}-${BigInt(seq) + 1n}`;
}

/**
 * The oldest ID any group still needs: per group its oldest pending entry, or
 * the one after its last-delivered-id; the minimum over groups. Undefined for
 * a stream without groups (nobody tells what is done with: left alone).
 */
export function trimFloor(groups: readonly Pick<GroupFacts, 'pending' | 'lastDeliveredId' | 'pendingEntries'>[]): string | undefined {
  let floor: string | undefined;
  for (const g of groups) {
    const oldest = g.pending > 0 ? g.pendingEntries[0]?.id : undefined;
    // pending > 0 with no entry read means the group changed under us: keep everything.
    const need = g.pending > 0 ? (oldest ?? '0-0') : nextId(g.lastDeliveredId);
    if (floor === undefined || compareIds(need, floor) < 0) floor = need;
  }
  return floor;
}

function* batches<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

/** Plans the stream actions of one stream (dead_letter, requeue, delete_consumer, trim), in that order. */
export function planStream(s: StreamFacts, set: StreamSettings, batchSize: number): Action[] {
  const out: Action[] = [];
  const base = { stream: s.name, applied: false, skipped: null };
  for (const g of s.groups) {
    const alive = g.consumers.filter((c) => c.alive);
    const stateOf = new Map(g.consumers.map((c) => [c.name, consumerState(c.alive, c.pending)]));

    const poison = g.pendingEntries.filter((e) => e.deliveries >= set.maxDeliveries);
    if (set.actions.has('dead_letter')) {
      for (const ids of batches(
        poison.map((e) => e.id),
        batchSize,
      )) {
        out.push({
          ...base,
          action: 'dead_letter',
          group: g.name,
          consumer: null,
          ids,
          reason: `delivered at least ${set.maxDeliveries} times; copy to ${set.deadLetterKey} and ack`,
          params: { minDeliveries: set.maxDeliveries, deadLetterKey: set.deadLetterKey },
        });
      }
    }

    if (set.actions.has('requeue')) {
      const poisonIds = new Set(poison.map((e) => e.id));
      const byConsumer = new Map<string, string[]>();
      for (const e of g.pendingEntries) {
        if (poisonIds.has(e.id) && set.actions.has('dead_letter')) continue; // dead-lettered instead
        if (stateOf.get(e.consumer) === 'alive' || e.idleMs < set.strandedIdleMs) continue;
        // A consumer the group no longer lists (deleted meanwhile) cannot own entries: skip it.
        if (!stateOf.has(e.consumer)) continue;
        let ids = byConsumer.get(e.consumer);
        if (!ids) byConsumer.set(e.consumer, (ids = []));
        ids.push(e.id);
      }
      // The live consumer with the fewest pending entries takes them (ties by name).
      const target = [...alive].sort((a, b) => a.pending - b.pending || a.name.localeCompare(b.name))[0];
      for (const [consumer, all] of byConsumer) {
        for (const ids of batches(all, batchSize)) {
          const why = `pending ≥ ${seconds(set.strandedIdleMs)} on a consumer without heartbeat`;
          const requeue = { ...base, action: 'requeue' as const, group: g.name, consumer, ids };
          const params = { minIdleMs: set.strandedIdleMs };
          if (target) {
            out.push({ ...requeue, reason: `${why}; claim for live consumer ${target.name}`, params: { ...params, target: target.name } });
          } else if (s.groups.length === 1) {
            out.push({ ...requeue, reason: `${why}; no live consumer: re-add to the stream and ack`, params });
          } else {
            out.push({
              ...requeue,
              reason: why,
              skipped: `no live consumer in the group, and re-adding would deliver the entries again to the stream's ${s.groups.length - 1} other group(s)`,
              params,
            });
          }
        }
      }
    }

    if (set.actions.has('delete_consumer')) {
      for (const c of g.consumers) {
        if (stateOf.get(c.name) !== 'phantom' || c.marker || c.idleMs < set.phantomIdleMs) continue;
        out.push({
          ...base,
          action: 'delete_consumer',
          group: g.name,
          consumer: c.name,
          ids: [],
          reason: `phantom: no heartbeat, no shutdown marker, 0 pending, idle ${seconds(c.idleMs)} ≥ ${seconds(set.phantomIdleMs)}`,
          params: { minIdleMs: set.phantomIdleMs },
        });
      }
    }
  }

  if (set.actions.has('trim') && s.length > 0 && s.firstEntryId !== undefined) {
    const floor = trimFloor(s.groups);
    if (floor !== undefined && compareIds(s.firstEntryId, floor) < 0) {
      out.push({
        ...base,
        action: 'trim',
        group: null,
        consumer: null,
        ids: [floor],
        reason: `XTRIM MINID ${floor}: entries before it are acknowledged by all ${s.groups.length} group(s) (first entry ${s.firstEntryId}, length ${s.length})`,
        params: { minId: floor },
      });
    }
  }
  return out;
}
