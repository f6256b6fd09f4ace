/**
 * Pure parsers for Redis replies (as ioredis returns them: flat arrays of
 * field/value pairs). Kept free of I/O so they are tested against fixtures.
 */
type Reply = unknown;

function fields(reply: Reply): Map<string, Reply> {
  const m = new Map<string, Reply>();
  if (!Array.isArray(reply)) return m;
  for (let i = 0; i + 1 < reply.length; i += 2) m.set(String(reply[i]), reply[i + 1]);
  return m;
}

function num(v: Reply): number | undefined {
  if (v === null || v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function str(v: Reply): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

/** Milliseconds part of a stream ID ("1700000000000-0"); undefined for 0-0 or garbage. */
export function streamIdMs(id: string | undefined): number | undefined {
  if (!id) return undefined;
  const ms = Number(id.split('-', 1)[0]);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export interface StreamInfo {
  length: number;
  /** Redis ≥ 7: entries ever added (a counter). */
  entriesAdded?: number;
  lastGeneratedId?: string;
  firstEntryId?: string;
}

export function parseXinfoStream(reply: Reply): StreamInfo {
  const f = fields(reply);
  const first = f.get('first-entry');
  return {
    length: num(f.get('length')) ?? 0,
    entriesAdded: num(f.get('entries-added')),
    lastGeneratedId: str(f.get('last-generated-id')),
    firstEntryId: Array.isArray(first) ? str(first[0]) : undefined,
  };
}

export interface GroupInfo {
  name: string;
  consumers: number;
  pending: number;
  /** Read by remediate's trim (the oldest entry a group still needs). */
  lastDeliveredId?: string;
  /** Redis ≥ 7; null when Redis cannot tell. */
  entriesRead?: number;
  /** Redis ≥ 7: entries not yet delivered; absent when Redis cannot tell. */
  lag?: number;
}

export function parseXinfoGroups(reply: Reply): GroupInfo[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((g) => {
    const f = fields(g);
    return {
      name: String(f.get('name')),
      consumers: num(f.get('consumers')) ?? 0,
      pending: num(f.get('pending')) ?? 0,
      lastDeliveredId: str(f.get('last-delivered-id')),
      entriesRead: num(f.get('entries-read')),
      lag: num(f.get('lag')),
    };
  });
}

/**
 * The consumers of one group, column-wise: a big fleet has tens of thousands,
 * and three arrays per group allocate far less than an object per consumer.
 */
export interface ConsumerColumns {
  names: string[];
  pending: number[];
  idleMs: number[];
}

/** Whether a reply field is `name`: as text, or as bytes from a *Buffer command. */
function isField(v: Reply, name: string): boolean {
  if (typeof v === 'string') return v === name;
  if (!Buffer.isBuffer(v) || v.length !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (v[i] !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * XINFO CONSUMERS, read as text or as bytes (`xinfoBuffer`, which skips
 * decoding four field names per consumer); `label` turns a consumer's name
 * into its label (names.ts, for names that are not UTF-8).
 */
export function parseXinfoConsumers(reply: Reply, label: (name: Reply) => string = String): ConsumerColumns {
  const out: ConsumerColumns = { names: [], pending: [], idleMs: [] };
  if (!Array.isArray(reply)) return out;
  for (const c of reply as Reply[][]) {
    // Fast path: Redis answers name, pending, idle in this order.
    if (isField(c[0], 'name') && isField(c[2], 'pending') && isField(c[4], 'idle')) {
      out.names.push(label(c[1]));
      out.pending.push(Number(c[3]));
      out.idleMs.push(Number(c[5]));
    } else {
      const f = fields(c);
      out.names.push(label(f.get('name')));
      out.pending.push(num(f.get('pending')) ?? 0);
      out.idleMs.push(num(f.get('idle')) ?? 0);
    }
  }
  return out;
}

export interface PendingEntry {
  id: string;
  consumer: string;
  idleMs: number;
  deliveries: number;
}

/** Extended XPENDING form (`XPENDING key group - + 1`): the oldest pending entry. */
export function parseOldestPending(reply: Reply): PendingEntry | undefined {
  if (!Array.isArray(reply) || reply.length === 0 || !Array.isArray(reply[0])) return undefined;
  const [id, consumer, idle, deliveries] = reply[0] as Reply[];
  return { id: String(id), consumer: String(consumer), idleMs: num(idle) ?? 0, deliveries: num(deliveries) ?? 0 };
}

/** INFO text → field map. */
export function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

/** TIME reply → unix milliseconds (the server's clock, so ages do not depend on ours). */
export function parseTime(reply: Reply): number {
  if (!Array.isArray(reply)) return Date.now();
  return Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000);
}

const TIMESTAMP_FIELDS = ['ts', 'timestamp', 'time', 'last_heartbeat', 'heartbeat_at', 'updated_at', 'at'];

/** 2001-09-09, when unix time reached 1e9 s: anything earlier is not a heartbeat time (a counter, a pid). */
const EARLIEST_MS = 1e12;
/** Clocks differ; a time further ahead of Redis's than this is not a heartbeat time either. */
const MAX_AHEAD_MS = 3600_000;

/**
 * A heartbeat value may be empty, a number (unix seconds or milliseconds) or
 * JSON carrying a timestamp. Returns the heartbeat's time in unix ms, or
 * undefined when the value does not tell (the key's TTL will): so also for a
 * number padded with whitespace and for a time before 2001-09-09 or more than
 * an hour ahead of `nowMs` (Redis's clock).
 */
export function heartbeatTimeMs(value: string | Buffer | null | undefined, nowMs: number): number | undefined {
  if (!value || value.length === 0) return undefined;
  if (typeof value !== 'string') {
    // The usual value, unix seconds or milliseconds, read from its bytes without a string.
    const n = digitsValue(value);
    return n === undefined ? heartbeatTimeMs(value.toString('utf8'), nowMs) : plausible(toUnixMs(n), nowMs);
  }
  if (isDigits(value)) return plausible(toUnixMs(Number(value)), nowMs); // the usual value, without a regex
  if (NUMBER.test(value)) return plausible(toUnixMs(Number(value)), nowMs);
  if (value.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
    if (!parsed || typeof parsed !== 'object') return undefined;
    for (const f of TIMESTAMP_FIELDS) {
      const v = (parsed as Record<string, unknown>)[f];
      if (typeof v === 'number') return plausible(toUnixMs(v), nowMs);
      if (typeof v === 'string') {
        if (NUMBER.test(v)) return plausible(toUnixMs(Number(v)), nowMs);
        const t = Date.parse(v);
        if (Number.isFinite(t)) return plausible(t, nowMs);
      }
    }
  }
  return undefined;
}

const NUMBER = /^\d+(\.\d+)?$/;

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The number an all-digit value of up to 15 digits spells (exact in a double), else undefined. */
function digitsValue(bytes: Buffer): number | undefined {
  if (bytes.length > 15) return undefined;
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n;
}

function toUnixMs(n: number): number | undefined {
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return n > 1e11 ? n : n * 1000; // seconds until the year 5138
}

function plausible(t: number | undefined, nowMs: number): number | undefined {
  return t !== undefined && t >= EARLIEST_MS && t <= nowMs + MAX_AHEAD_MS ? t : undefined;
}
