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

/** Runs a multi-key command per chunk of keys, concurrently (pipelined), and joins the answers in key order. */
async function inChunks<T>(keys: string[], perChunk: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const chunks: Promise<T[]>[] = [];
  for (let i = 0; i < keys.length; i += MGET_CHUNK) chunks.push(perChunk(keys.slice(i, i + MGET_CHUNK)));
  return (await Promise.all(chunks)).flat();
}

/** Values of many keys: MGET in chunks, or GET per key on a cluster (keys span slots). */
export async function getMany(client: RedisClient, keys: string[]): Promise<(string | null)[]> {
  if (client instanceof Cluster) return Promise.all(keys.map((k) => client.get(k)));
  return inChunks(keys, (chunk) => client.mget(chunk));
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

/**
 * PTTL of keys that MGET found no string for, where most are simply gone:
 * one multi-key EXISTS per chunk, and per-key PTTL only in chunks where some
 * key exists (a heartbeat written as another type still counts as alive).
 * Returns -2 for keys that do not exist.
 */
async function existingKeys(client: RedisClient, keys: string[]): Promise<number[]> {
  if (client instanceof Cluster) return Promise.all(keys.map((k) => client.pttl(k)));
  return inChunks(keys, async (chunk) =>
    (await client.exists(...chunk)) === 0 ? chunk.map(() => -2) : Promise.all(chunk.map((k) => client.pttl(k))),
  );
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
 *   2. PTTL where the value carries no time; EXISTS (then PTTL, rarely) where it
 *      is missing, since a key of another type still counts as alive; and MGET
 *      of the shutdown markers of workers without a heartbeat value.
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
  const needTtl: number[] = []; // alive, but the value tells no time
  const missing: number[] = []; // no string value: gone, or a key of another type
  const markerOwners = new Map<string, WorkerRef>(extraMarkers);
  for (let i = 0; i < workers.length; i++) {
    const v = values[i];
    const t = heartbeatTimeMs(v);
    const w = workers[i]!;
    if (t !== undefined) add(alive, w.workerType, () => new Map()).set(w.workerId, Math.max(0, (nowMs - t) / 1000));
    else if (v === null || v === undefined) {
      missing.push(i);
      markerOwners.set(templates.shutdown.format(w.workerType, w.workerId), w);
    } else needTtl.push(i);
  }
  const markerKeys = [...markerOwners.keys()];
  const [ttls, existing, markerValues] = await Promise.all([
    Promise.all(needTtl.map((i) => client.pttl(keys[i]!))),
    existingKeys(client, missing.map((i) => keys[i]!)),
    getMany(client, markerKeys),
  ]);
  // Age from TTL math: a key refreshed with EX ttl is (ttl - remaining) old; no TTL, no age.
  const ageFromTtl = (ms: number) => (ms >= 0 ? Math.max(0, templates.ttlSeconds - ms / 1000) : undefined);
  needTtl.forEach((i, n) => {
    const w = workers[i]!;
    if (ttls[n] !== -2) add(alive, w.workerType, () => new Map()).set(w.workerId, ageFromTtl(ttls[n]!));
  });
  missing.forEach((i, n) => {
    const w = workers[i]!;
    const ms = existing[n]!;
    if (ms !== -2) add(alive, w.workerType, () => new Map()).set(w.workerId, ageFromTtl(ms));
  });
  markerKeys.forEach((k, i) => {
    if (markerValues[i] === null || markerValues[i] === undefined) return;
    const w = markerOwners.get(k)!;
    add(shutdownMarkers, w.workerType, () => new Set()).add(w.workerId);
  });
}
