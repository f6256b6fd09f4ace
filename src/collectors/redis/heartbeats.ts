import { Cluster } from 'ioredis';
import { writeTogether, type RedisClient } from './client.js';
import type { KeyTemplate } from './keys.js';
import { heartbeatTimeMs } from './parse.js';
import { RawNames, rawName, type RedisName } from './names.js';

const MGET_CHUNK = 1000;

export interface WorkerRef {
  workerType: string;
  workerId: string;
}

/**
 * Every worker one scrape knows of (stream consumers, scanned heartbeats and
 * shutdown markers), once each, in slots numbered from 0 and stored
 * column-wise in arrays sized up front: a big fleet has tens of thousands of
 * workers per scrape, and an object per worker or arrays grown one push at a
 * time cost measurable garbage-collection time (docs/benchmarks.md).
 */
export class WorkerTable {
  size = 0;
  types: string[];
  ids: string[];
  /** Heartbeat key of each worker, built once: it is also the MGET argument. */
  heartbeatKeys: string[];
  /** 1 when the heartbeat key exists. */
  alive: Uint8Array;
  /** Heartbeat age in seconds; NaN when no age is known. */
  ageSeconds: Float64Array;
  /** 1 when a clean-shutdown marker exists. */
  markers: Uint8Array;
  private readonly slotsByType = new Map<string, Map<string, number>>();
  /** Heartbeat keys as bytes, for the rare workers whose type or id is not UTF-8. */
  private readonly rawKeys = new Map<number, Buffer>();

  constructor(
    private readonly heartbeatKey: KeyTemplate,
    capacity = 64,
    readonly names = new RawNames(),
  ) {
    this.types = new Array<string>(capacity);
    this.ids = new Array<string>(capacity);
    this.heartbeatKeys = new Array<string>(capacity);
    this.alive = new Uint8Array(capacity);
    this.ageSeconds = new Float64Array(capacity).fill(NaN);
    this.markers = new Uint8Array(capacity);
  }

  /** The slot of a worker; a worker not seen before gets a new one, also appended to `added`. */
  slot(type: string, id: string, added?: number[]): number {
    let ofType = this.slotsByType.get(type);
    if (ofType === undefined) this.slotsByType.set(type, (ofType = new Map()));
    let i = ofType.get(id);
    if (i === undefined) {
      i = this.size++;
      if (i === this.alive.length) this.grow();
      ofType.set(id, i);
      this.types[i] = type;
      this.ids[i] = id;
      this.heartbeatKeys[i] = this.heartbeatKey.format(type, id);
      if (this.names.size > 0) {
        const arg = this.heartbeatKey.formatArg(type, id, this.names);
        if (typeof arg !== 'string') this.rawKeys.set(i, arg);
      }
      added?.push(i);
    }
    return i;
  }

  /** The heartbeat key of a slot as commands send it. */
  keyArg(i: number): RedisName {
    return this.rawKeys.get(i) ?? this.heartbeatKeys[i]!;
  }

  /** Doubles the capacity: only when groups gained consumers since XINFO GROUPS counted them. */
  private grow(): void {
    const capacity = this.alive.length * 2;
    const widen = <T extends Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.alive = widen(this.alive, (n) => new Uint8Array(n));
    this.markers = widen(this.markers, (n) => new Uint8Array(n));
    this.ageSeconds = widen(this.ageSeconds, (n) => new Float64Array(n).fill(NaN));
  }
}

/** Runs a multi-key command per chunk of keys, concurrently (pipelined), and joins the answers in key order. */
async function inChunks<T>(keys: RedisName[], perChunk: (chunk: RedisName[]) => Promise<T[]>): Promise<T[]> {
  const out = new Array<T>(keys.length);
  const chunks: Promise<void>[] = [];
  for (let i = 0; i < keys.length; i += MGET_CHUNK) {
    const start = i;
    chunks.push(perChunk(keys.slice(start, start + MGET_CHUNK)).then((part) => part.forEach((v, k) => (out[start + k] = v))));
  }
  await Promise.all(chunks);
  return out;
}

/**
 * Values of many keys: MGET in chunks, or GET per key on a cluster (keys span
 * slots). As bytes: a heartbeat's time is read from its digits, and decoding
 * tens of thousands of values to strings first costs measurable time.
 */
async function getMany(client: RedisClient, keys: RedisName[]): Promise<(Buffer | null)[]> {
  if (client instanceof Cluster) return Promise.all(keys.map((k) => client.getBuffer(k)));
  return inChunks(keys, (chunk) => client.mgetBuffer(chunk));
}

/**
 * PTTL of keys that MGET found no string for, where most are simply gone:
 * one multi-key EXISTS per chunk, and per-key PTTL only in chunks where some
 * key exists (a heartbeat written as another type still counts as alive).
 * Returns -2 for keys that do not exist.
 */
async function existingKeys(client: RedisClient, keys: RedisName[]): Promise<number[]> {
  if (client instanceof Cluster) return Promise.all(keys.map((k) => client.pttl(k)));
  return inChunks(keys, async (chunk) => ((await client.exists(...chunk)) === 0 ? chunk.map(() => -2) : Promise.all(chunk.map((k) => client.pttl(k)))));
}

/** What a lookup needs beyond the table, which builds the heartbeat keys itself. */
export interface LookupSettings {
  shutdownKey: KeyTemplate;
  /** The heartbeat TTL workers set, for age by TTL math. */
  ttlSeconds: number;
}

/**
 * Looks the heartbeats of the workers in `slots` up directly (no keyspace
 * scan), and the shutdown markers of those without one and of `markerSlots`,
 * in two pipelined batches:
 *   1. MGET of every heartbeat key (a time in the value gives the age);
 *   2. PTTL where the value carries no time; EXISTS (then PTTL, rarely) where it
 *      is missing, since a key of another type still counts as alive; and MGET
 *      of the shutdown markers.
 * With `scannedKeys` (the heartbeat keys the last discovery SCAN found), only
 * missing keys that SCAN saw get the EXISTS: consumers that died long ago
 * pile up in groups, and each would otherwise cost a lookup on every scrape.
 * Results go into the table, shared by concurrent lookups of other slots.
 */
export async function lookupHeartbeats(
  client: RedisClient,
  table: WorkerTable,
  slots: readonly number[],
  markerSlots: readonly number[],
  settings: LookupSettings,
  nowMs: number,
  scannedKeys?: ReadonlySet<string>,
): Promise<void> {
  const keys = slots.map((i) => table.heartbeatKeys[i]!);
  writeTogether(client);
  const values = await getMany(
    client,
    slots.map((i) => table.keyArg(i)),
  );

  // The table's columns are read after each await: another chunk's workers may have grown them meanwhile.
  const needTtl: number[] = []; // alive, but the value tells no time
  const missing: number[] = []; // no string value: gone, or a key of another type (checked with EXISTS)
  const markersToRead = [...markerSlots];
  for (let n = 0; n < slots.length; n++) {
    const v = values[n];
    const i = slots[n]!;
    const t = heartbeatTimeMs(v, nowMs);
    if (t !== undefined) {
      table.alive[i] = 1;
      table.ageSeconds[i] = Math.max(0, (nowMs - t) / 1000);
    } else if (v === null) {
      if (scannedKeys === undefined || scannedKeys.has(keys[n]!)) missing.push(n);
      markersToRead.push(i);
    } else needTtl.push(n);
  }
  writeTogether(client);
  const [ttls, existing, markerValues] = await Promise.all([
    Promise.all(needTtl.map((n) => client.pttl(table.keyArg(slots[n]!)))),
    existingKeys(
      client,
      missing.map((n) => table.keyArg(slots[n]!)),
    ),
    getMany(
      client,
      markersToRead.map((i) => settings.shutdownKey.formatArg(table.types[i]!, table.ids[i]!, table.names)),
    ),
  ]);
  // Age from TTL math: a key refreshed with EX ttl is (ttl - remaining) old; no TTL, no age.
  const { alive, ageSeconds, markers } = table;
  const setAliveFromTtl = (i: number, pttlMs: number) => {
    if (pttlMs === -2) return;
    alive[i] = 1;
    ageSeconds[i] = pttlMs >= 0 ? Math.max(0, settings.ttlSeconds - pttlMs / 1000) : NaN;
  };
  needTtl.forEach((n, k) => setAliveFromTtl(slots[n]!, ttls[k]!));
  missing.forEach((n, k) => setAliveFromTtl(slots[n]!, existing[k]!));
  markersToRead.forEach((i, k) => {
    if (markerValues[k] !== null) markers[i] = 1;
  });
}

/** Workers known from the keys heartbeat discovery found, with the bytes of names that are not UTF-8. */
export interface ScannedWorkers {
  heartbeats: WorkerRef[];
  markers: WorkerRef[];
  names: RawNames;
}

/**
 * Parses discovered heartbeat and shutdown-marker keys. A key that is not
 * UTF-8 has an escaped label; its type and id are labelled on their own, as
 * streams and consumers are, so the same worker has the same labels.
 */
export function parseWorkerKeys(
  heartbeatKeys: readonly string[],
  markerKeys: readonly string[],
  heartbeatKey: KeyTemplate,
  shutdownKey: KeyTemplate,
  keyNames: RawNames,
): ScannedWorkers {
  const names = new RawNames();
  const parse = (template: KeyTemplate, key: string): WorkerRef | undefined => {
    const w = template.parse(key);
    if (!w || !keyNames.has(key)) return w;
    return { workerType: names.label(rawName(w.workerType)), workerId: names.label(rawName(w.workerId)) };
  };
  const refs = (keys: readonly string[], template: KeyTemplate) => keys.map((k) => parse(template, k)).filter((w): w is WorkerRef => w !== undefined);
  return { heartbeats: refs(heartbeatKeys, heartbeatKey), markers: refs(markerKeys, shutdownKey), names };
}
