import { Snapshot, type MetricFamily } from '../../metrics/family.js';
import type { ConsumerColumns, GroupInfo, PendingEntry, StreamInfo } from './parse.js';
import { streamIdMs } from './parse.js';
import type { WorkerTypeConfig } from './schema.js';
import type { RedisName } from './names.js';
import { metric } from '../../metrics/names.js';

export interface ObservedGroup extends GroupInfo {
  consumerColumns: ConsumerColumns;
  /** Each consumer's slot in the worker table. */
  workerSlots: number[];
  oldestPending?: PendingEntry;
}

/** What one scrape learnt of each worker, by slot (see heartbeats.ts's WorkerTable). */
export interface ObservedWorkers {
  readonly size: number;
  readonly types: readonly string[];
  /** 1 when the heartbeat key exists. */
  readonly alive: ArrayLike<number>;
  /** NaN when no age is known. */
  readonly ageSeconds: ArrayLike<number>;
  /** 1 when a clean-shutdown marker exists. */
  readonly markers: ArrayLike<number>;
}

export interface ObservedStream {
  /** The stream's label (names.ts) … */
  name: string;
  /** … and its key as commands send it. */
  key: RedisName;
  workerType: string;
  info: StreamInfo;
  groups: ObservedGroup[];
}

export interface ObservedFleet {
  nowMs: number;
  server: { usedMemoryBytes?: number; maxmemoryBytes?: number; connectedClients?: number };
  streams: ObservedStream[];
  workers: ObservedWorkers;
  knownTypes: Iterable<string>;
  /** Seconds since each discovery's last complete SCAN pass. */
  discoveryAgeSeconds: Readonly<Record<string, number>>;
}

export interface FleetOptions {
  workerTypes: readonly WorkerTypeConfig[];
  perConsumer: boolean;
  maxConsumerSeries: number;
}

export type ConsumerState = 'alive' | 'stranding' | 'phantom';

export function consumerState(alive: boolean, pending: number): ConsumerState {
  if (alive) return 'alive';
  return pending > 0 ? 'stranding' : 'phantom';
}

const S = ['stream'];
const SG = ['stream', 'group'];
const W = ['worker_type'];

/** Turns one observation of Redis into metric families (pure: no I/O, no clock). */
export function buildFleetMetrics(obs: ObservedFleet, opts: FleetOptions): { families: MetricFamily[]; dropped: number } {
  const snap = new Snapshot();
  const now = obs.nowMs;

  snap.gauge(metric.fleet_redis_up, 'Whether Redis answered the last scrape.').set(1);
  const { usedMemoryBytes, maxmemoryBytes, connectedClients } = obs.server;
  if (usedMemoryBytes !== undefined) snap.gauge(metric.fleet_redis_used_memory_bytes, 'Memory Redis uses (INFO used_memory).').set(usedMemoryBytes);
  if (maxmemoryBytes !== undefined) snap.gauge(metric.fleet_redis_maxmemory_bytes, 'Redis maxmemory setting (0 = no limit).').set(maxmemoryBytes);
  if (connectedClients !== undefined) snap.gauge(metric.fleet_redis_connected_clients, 'Clients connected to Redis.').set(connectedClients);

  const discoveryAge = snap.gauge(
    metric.fleet_redis_discovery_age_seconds,
    'Seconds since the discovery SCAN last completed a pass (since start until it has): how stale the set of streams or heartbeat keys may be.',
    ['discovery'],
  );
  for (const [discovery, age] of Object.entries(obs.discoveryAgeSeconds)) discoveryAge.set(age, discovery);

  const length = snap.gauge(metric.fleet_stream_length, 'Entries in the stream (XLEN).', S);
  const added = snap.counter(metric.fleet_stream_entries_added_total, 'Entries ever added to the stream (Redis 7 entries-added); rate() is arrival throughput.', S);
  const oldestAge = snap.gauge(metric.fleet_stream_oldest_entry_age_seconds, 'Age of the oldest entry still in the stream, from its ID.', S);
  const lastAge = snap.gauge(metric.fleet_stream_last_entry_age_seconds, 'Time since the last entry was added (last-generated-id), also after it was deleted.', S);
  const streamInfo = snap.gauge(metric.fleet_worker_stream_info, 'Which worker type consumes which stream (always 1); join on stream.', ['worker_type', 'stream']);
  const read = snap.counter(metric.fleet_stream_group_entries_read_total, 'Entries delivered to the group (Redis 7 entries-read); rate() is delivery throughput.', SG);
  const lag = snap.gauge(metric.fleet_stream_group_lag, 'Entries not yet delivered to the group (backlog); absent when Redis cannot tell.', SG);
  const pending = snap.gauge(metric.fleet_stream_group_pending, 'Entries delivered to the group but not yet acknowledged.', SG);
  const pendingIdle = snap.gauge(metric.fleet_stream_group_oldest_pending_idle_seconds, 'Idle time of the oldest pending entry (0 when nothing is pending).', SG);
  const pendingDeliveries = snap.gauge(metric.fleet_stream_group_oldest_pending_deliveries, 'Delivery count of the oldest pending entry; high values mean a poison message.', SG);
  const consumers = snap.gauge(
    metric.fleet_stream_group_consumers,
    'Consumers by state: alive (live heartbeat), stranding (no heartbeat, holds pending), phantom (no heartbeat, nothing pending).',
    [...SG, 'state'],
  );
  const orphaned = snap.gauge(metric.fleet_stream_group_orphaned_pending, 'Pending entries owned by consumers that are not alive.', SG);
  const cPending = opts.perConsumer ? snap.gauge(metric.fleet_stream_consumer_pending, 'Pending entries per consumer (opt-in, capped).', [...SG, 'consumer']) : undefined;
  const cIdle = opts.perConsumer
    ? snap.gauge(metric.fleet_stream_consumer_idle_seconds, 'Time since the consumer last read or acked (opt-in, capped).', [...SG, 'consumer'])
    : undefined;

  let consumerBudget = opts.maxConsumerSeries;
  let dropped = 0;

  const workerAlive = obs.workers.alive;
  for (const s of obs.streams) {
    const stream = s.name;
    length.set(s.info.length, stream);
    if (s.info.entriesAdded !== undefined) added.set(s.info.entriesAdded, stream);
    const firstMs = s.info.length > 0 ? streamIdMs(s.info.firstEntryId) : undefined;
    if (firstMs !== undefined) oldestAge.set(Math.max(0, (now - firstMs) / 1000), stream);
    const lastMs = streamIdMs(s.info.lastGeneratedId);
    if (lastMs !== undefined) lastAge.set(Math.max(0, (now - lastMs) / 1000), stream);
    if (s.groups.length > 0) streamInfo.set(1, s.workerType, stream);

    for (const g of s.groups) {
      if (g.entriesRead !== undefined) read.set(g.entriesRead, stream, g.name);
      if (g.lag !== undefined) lag.set(g.lag, stream, g.name);
      pending.set(g.pending, stream, g.name);
      pendingIdle.set(g.oldestPending ? g.oldestPending.idleMs / 1000 : 0, stream, g.name);
      pendingDeliveries.set(g.oldestPending ? g.oldestPending.deliveries : 0, stream, g.name);
      const counts = { alive: 0, stranding: 0, phantom: 0 };
      let orphanedPending = 0;
      const { names, pending: consumerPending, idleMs } = g.consumerColumns;
      for (let k = 0; k < names.length; k++) {
        const state = consumerState(workerAlive[g.workerSlots[k]!] === 1, consumerPending[k]!);
        counts[state]++;
        if (state !== 'alive') orphanedPending += consumerPending[k]!;
        if (cPending && cIdle) {
          if (consumerBudget > 0) {
            consumerBudget--;
            cPending.set(consumerPending[k]!, stream, g.name, names[k]!);
            cIdle.set(idleMs[k]! / 1000, stream, g.name, names[k]!);
          } else dropped++;
        }
      }
      consumers.set(counts.alive, stream, g.name, 'alive');
      consumers.set(counts.stranding, stream, g.name, 'stranding');
      consumers.set(counts.phantom, stream, g.name, 'phantom');
      orphaned.set(orphanedPending, stream, g.name);
    }
  }

  // Per worker type: live heartbeats, shutdown markers, and the stalest heartbeat's age.
  const byType = new Map<string, { alive: number; markers: number; maxAge: number }>();
  for (const type of obs.knownTypes) byType.set(type, { alive: 0, markers: 0, maxAge: NaN });
  const { types, ageSeconds, markers: markerPresent } = obs.workers;
  for (let i = 0; i < obs.workers.size; i++) {
    if (!workerAlive[i] && !markerPresent[i]) continue;
    let t = byType.get(types[i]!);
    if (t === undefined) byType.set(types[i]!, (t = { alive: 0, markers: 0, maxAge: NaN }));
    if (markerPresent[i]) t.markers++;
    if (workerAlive[i]) {
      t.alive++;
      // NaN (no age) never wins: the max of the known ages.
      if (ageSeconds[i]! > t.maxAge || Number.isNaN(t.maxAge)) t.maxAge = ageSeconds[i]!;
    }
  }

  const configured = new Map(opts.workerTypes.map((w) => [w.name, w]));
  const alive = snap.gauge(metric.fleet_workers_alive, 'Workers of this type with a live heartbeat key.', W);
  const markers = snap.gauge(metric.fleet_worker_shutdown_markers, 'Clean-shutdown markers present (workers that stopped on SIGTERM recently).', W);
  const minAlive = snap.gauge(metric.fleet_worker_min_alive, 'Configured minimum of live workers (default 1).', W);
  const concurrency = snap.gauge(metric.fleet_worker_concurrency, 'Configured task slots per worker (default 1).', W);
  const maxAge = snap.gauge(metric.fleet_worker_heartbeat_max_age_seconds, 'Age of the stalest live heartbeat of this type (absent when no age is known).', W);
  for (const type of [...byType.keys()].sort()) {
    const t = byType.get(type)!;
    alive.set(t.alive, type);
    markers.set(t.markers, type);
    minAlive.set(configured.get(type)?.min_alive ?? 1, type);
    concurrency.set(configured.get(type)?.concurrency ?? 1, type);
    if (!Number.isNaN(t.maxAge)) maxAge.set(t.maxAge, type);
  }

  return { families: snap.families(), dropped };
}
