import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';
import type { KeyTemplate } from './keys.js';
import { heartbeatTimeMs } from './parse.js';

const MGET_CHUNK = 1000;

export interface WorkerRef {
  workerType: string;
  workerId: string;
}

export interface HeartbeatState {
  /** Live heartbeats by worker type → worker id → age in seconds (undefined when unknown). */
  alive: Map<string, Map<string, number | undefined>>;
  /** Clean-shutdown markers present, by worker type → worker ids. */
  shutdownMarkers: Map<string, Set<string>>;
}

/** Values of many keys: MGET in chunks, or GET per key on a cluster (keys span slots). */
export async function getMany(client: RedisClient, keys: string[]): Promise<(string | null)[]> {
  if (keys.length === 0) return [];
  if (client instanceof Cluster) return Promise.all(keys.map((k) => client.get(k)));
  const chunks: Promise<(string | null)[]>[] = [];
  for (let i = 0; i < keys.length; i += MGET_CHUNK) chunks.push(client.mget(keys.slice(i, i + MGET_CHUNK)));
  return (await Promise.all(chunks)).flat();
}

/** The workers of a list not already in `seen` (a worker consuming several groups of a stream is one worker). */
export function newWorkers(workers: Iterable<WorkerRef>, seen: Map<string, Set<string>>): WorkerRef[] {
  const out: WorkerRef[] = [];
  for (const w of workers) {
    const ids = add(seen, w.workerType, () => new Set<string>());
    if (ids.has(w.workerId)) continue;
    ids.add(w.workerId);
    out.push(w);
  }
  return out;
}

export function emptyHeartbeatState(): HeartbeatState {
  return { alive: new Map(), shutdownMarkers: new Map() };
}

function add<T>(map: Map<string, T>, key: string, make: () => T): T {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}

/**
 * Looks the heartbeats of the given workers up directly (no keyspace scan),
 * in two pipelined batches:
 *   1. MGET of every heartbeat key (a time in the value gives the age);
 *   2. PTTL where the value carries no time — or is missing: a key of another
 *      type still counts as alive — and MGET of the shutdown markers of the rest.
 * Results are added to `into`, shared by concurrent lookups.
 */
export async function lookupHeartbeats(
  client: RedisClient,
  workers: WorkerRef[],
  extraMarkers: Map<string, WorkerRef>,
  templates: { heartbeat: KeyTemplate; shutdown: KeyTemplate; ttlSeconds: number },
  nowMs: number,
  into: HeartbeatState,
): Promise<void> {
  const keys = workers.map((w) => templates.heartbeat.format(w.workerType, w.workerId));
  const values = await getMany(client, keys);

  const { alive, shutdownMarkers } = into;
  const needTtl: number[] = [];
  const markerOwners = new Map<string, WorkerRef>(extraMarkers);
  for (let i = 0; i < workers.length; i++) {
    const v = values[i];
    const t = heartbeatTimeMs(v);
    const w = workers[i]!;
    if (t !== undefined) {
      add(alive, w.workerType, () => new Map()).set(w.workerId, Math.max(0, (nowMs - t) / 1000));
      continue;
    }
    needTtl.push(i);
    if (v === null || v === undefined) markerOwners.set(templates.shutdown.format(w.workerType, w.workerId), w);
  }
  const markerKeys = [...markerOwners.keys()];
  const [ttls, markerValues] = await Promise.all([
    Promise.all(needTtl.map((i) => client.pttl(keys[i]!))),
    getMany(client, markerKeys),
  ]);
  needTtl.forEach((i, n) => {
    const ms = ttls[n]!;
    if (ms === -2) return; // no such key: not alive
    const w = workers[i]!;
    // Age from TTL math: a key refreshed with EX ttl is (ttl - remaining) old; no TTL, no age.
    add(alive, w.workerType, () => new Map()).set(w.workerId, ms >= 0 ? Math.max(0, templates.ttlSeconds - ms / 1000) : undefined);
  });
  markerKeys.forEach((k, i) => {
    if (markerValues[i] === null || markerValues[i] === undefined) return;
    const w = markerOwners.get(k)!;
    add(shutdownMarkers, w.workerType, () => new Set()).add(w.workerId);
  });
}
