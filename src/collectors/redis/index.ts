import { Command } from 'ioredis';
import type { Collector, CollectContext, CollectResult } from '../types.js';
import { CollectError } from '../types.js';
import type { Logger } from '../../log.js';
import { Snapshot, type MetricFamily } from '../../metrics/family.js';
import { errorMessage } from '../../redact.js';
import { ownsWorkerType, UNSHARDED, type Shard } from '../../shard.js';
import { createRedisClient, ensureReady, masterNodes, writeTogether, xinfoConsumersBuffer, type RedisClient } from './client.js';
import { Discovery, Pacer, Periodic } from './discovery.js';
import { buildFleetMetrics, type ObservedGroup, type ObservedStream } from './metrics.js';
import { lookupHeartbeats, parseWorkerKeys, WorkerTable, type LookupSettings, type ScannedWorkers } from './heartbeats.js';
import { KeyTemplate } from './keys.js';
import { RawNames, REPLACEMENT_CHARACTER, type RedisName } from './names.js';
import { parseInfo, parseOldestPending, parseTime, parseXinfoConsumers, parseXinfoGroups, parseXinfoStream } from './parse.js';
import type { RedisConfig } from './schema.js';
import { buildTaskMetrics } from './tasks.js';
import { readTaskMetrics } from './tasks-read.js';
import { metric } from '../../metrics/names.js';
import { mapLimit } from '../limit.js';

/** Resolves to the value or to the Error, so one bad key never fails a whole batch. */
function settle<T>(p: Promise<T>): Promise<T | Error> {
  return p.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
}

function isMissingOrWrongType(e: Error): boolean {
  return /no such key|WRONGTYPE|ERR The XINFO|requires the key to exist/i.test(e.message);
}

/** With min_interval_seconds, scrapes inside the interval get the last collection's values: HELP says so. */
function cachedHelp(families: MetricFamily[], minIntervalSeconds: number): MetricFamily[] {
  if (minIntervalSeconds <= 0) return families;
  const note = ` Cached: read from Redis at most once per ${minIntervalSeconds}s (redis.min_interval_seconds).`;
  return families.map((f) => ({ ...f, help: f.help + note }));
}

/** Streams per pipelined chunk of batches 2-4. */
const STREAMS_PER_CHUNK = 50;
/**
 * Chunks in flight at once: two keep Redis and Node both busy (one chunk's
 * replies are parsed while Redis answers the next), and bound the replies held
 * in memory by the chunk, not by the fleet (docs/benchmarks.md).
 */
const CHUNKS_IN_FLIGHT = 2;

/**
 * An XINFO reply, parsed; read again as bytes where a name came back with
 * U+FFFD: it was not UTF-8, and only its bytes reach the object (names.ts).
 */
async function xinfoNamed<T>(
  client: RedisClient,
  names: RawNames,
  args: RedisName[],
  reply: unknown,
  parse: (reply: unknown) => T,
  namesOf: (parsed: T) => readonly string[],
): Promise<T> {
  const parsed = parse(reply);
  if (!namesOf(parsed).some((n) => n.includes(REPLACEMENT_CHARACTER))) return parsed;
  return parse(names.decodeReply(await client.sendCommand(new Command('xinfo', args, { replyEncoding: null }))));
}

/** XINFO CONSUMERS for every group (as bytes: the names come labelled), and the oldest pending entry (XPENDING) where something is pending. */
async function readConsumers(client: RedisClient, streams: ObservedStream[], names: RawNames): Promise<void> {
  writeTogether(client);
  const reads: Promise<void>[] = [];
  for (const s of streams) {
    for (const g of s.groups) {
      const group = names.arg(g.name);
      reads.push(
        settle(xinfoConsumersBuffer(client, s.key, group)).then((reply) => {
          // A group deleted between the batches simply reports no consumers.
          if (!(reply instanceof Error)) g.consumerColumns = parseXinfoConsumers(reply, (name) => names.label(name as Buffer));
        }),
      );
      if (g.pending > 0) {
        reads.push(
          settle(client.xpending(s.key, group, '-', '+', 1)).then((reply) => {
            if (!(reply instanceof Error)) g.oldestPending = parseOldestPending(reply);
          }),
        );
      }
    }
  }
  await Promise.all(reads);
}

/**
 * Redis Streams, consumer groups and worker heartbeats, read on every scrape
 * in four pipelined batches:
 *   1. TIME, INFO, XINFO STREAM and XINFO GROUPS for every stream
 *   2. XINFO CONSUMERS for every group, XPENDING (oldest entry) where pending > 0
 *   3. heartbeat values of every consumer and scanned worker (MGET)
 *   4. PTTL of heartbeats whose value carries no time, EXISTS of missing ones,
 *      shutdown markers of workers not alive
 * Batches 2-4 run per chunk of streams so Redis and Node work overlap.
 * Stream and heartbeat discovery (SCAN) run on their own slower intervals.
 */
export class RedisCollector implements Collector {
  readonly name = 'redis';
  readonly timeoutSeconds: number;
  readonly minIntervalSeconds: number;
  private client?: RedisClient;
  private log?: Logger;
  private readonly heartbeatKey: KeyTemplate;
  private readonly shutdownKey: KeyTemplate;
  private readonly typeOfStream: Map<string, string>;
  private readonly pacer: Pacer;
  /** Streams matching the patterns (SCAN … TYPE stream). */
  private readonly streamDiscovery: Discovery;
  /** Heartbeat keys and shutdown markers: workers that consume no stream show up too. */
  private readonly heartbeatDiscovery?: Discovery;
  private readonly periodic: Periodic[] = [];
  private scanned?: { keys: string[]; markerKeys: string[]; keySet: ReadonlySet<string>; workers: ScannedWorkers };
  /**
   * Why the connection is down, for the status page (ioredis retries in the
   * background). Kept until a collection succeeds: 'ready' comes before AUTH
   * or SELECT have answered.
   */
  private connectionError?: string;
  /** The connection failed because Redis did not answer in time (it may be frozen or overloaded). */
  private connectionTimedOut = false;
  /** Explicit streams that are not streams: warned about once, not on every scrape. */
  private readonly warnedKeys = new Set<string>();

  /** Sharded, this exporter reads only the worker types (and their streams) its shard owns. */
  private readonly owns: (workerType: string) => boolean;

  constructor(
    private readonly cfg: RedisConfig,
    shard: Shard = UNSHARDED,
  ) {
    this.owns = (workerType) => ownsWorkerType(shard, workerType);
    this.timeoutSeconds = cfg.timeout_seconds;
    this.minIntervalSeconds = cfg.min_interval_seconds;
    this.heartbeatKey = new KeyTemplate(cfg.heartbeats.key);
    this.shutdownKey = new KeyTemplate(cfg.heartbeats.shutdown_key);
    this.typeOfStream = new Map(cfg.worker_types.filter((w) => w.stream).map((w) => [w.stream!, w.name]));
    this.pacer = new Pacer(cfg.discovery_max_redis_share);
    this.streamDiscovery = new Discovery(
      cfg.streams.patterns.map((match) => ({ match, type: 'stream' })),
      this.pacer,
    );
    if (cfg.heartbeats.scan) {
      this.heartbeatDiscovery = new Discovery([{ match: this.heartbeatKey.scanPattern }, { match: this.shutdownKey.scanPattern }], this.pacer);
    }
  }

  start(log: Logger): void {
    this.log = log;
    const client = createRedisClient(this.cfg);
    this.client = client;
    client.on('error', (err: Error) => {
      const msg = errorMessage(err);
      if (msg !== this.connectionError) log.warn({ error: msg }, 'redis connection error');
      this.connectionError = msg;
      this.connectionTimedOut = err.message === 'Command timed out' || (err as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    });
    client.connect().catch(() => undefined);
    const nodes = () => masterNodes(client);
    // Discovery runs only on a ready connection; a failed pass resumes at the next interval.
    const discover = (d: Discovery) => () => (client.status === 'ready' ? d.pass(nodes) : Promise.resolve());
    this.periodic.push(new Periodic(this.cfg.streams.discovery_interval_seconds, discover(this.streamDiscovery)));
    if (this.heartbeatDiscovery) this.periodic.push(new Periodic(this.cfg.heartbeats.scan_interval_seconds, discover(this.heartbeatDiscovery)));
    for (const p of this.periodic) p.start();
  }

  async close(): Promise<void> {
    for (const p of this.periodic) p.stop();
    this.client?.disconnect();
  }

  /**
   * Until a discovery's first pass completes, a collection waits for it up to
   * half its budget: on a small keyspace that is milliseconds, and on a huge
   * one the explicitly named streams are served meanwhile.
   */
  private async firstPasses(client: RedisClient, deadlineMs: number): Promise<void> {
    const waiting = [this.streamDiscovery, this.heartbeatDiscovery].filter((d) => d && d.lastCompleteMs === 0) as Discovery[];
    if (waiting.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const halfBudget = new Promise((r) => (timer = setTimeout(r, Math.max(0, (deadlineMs - Date.now()) / 2))));
    const passes = Promise.all(waiting.map((d) => d.pass(() => masterNodes(client)).catch(() => undefined)));
    await Promise.race([passes, halfBudget]).finally(() => clearTimeout(timer));
  }

  /** Workers the heartbeat discovery found, parsed (and their keys put in a set) once per set of keys it found. */
  private scannedWorkers(names: RawNames): { keys: ReadonlySet<string> | undefined; workers: ScannedWorkers } {
    const d = this.heartbeatDiscovery;
    if (!d) return { keys: undefined, workers: { heartbeats: [], markers: [], names } };
    const keys = d.keys(0);
    const markerKeys = d.keys(1);
    if (this.scanned?.keys !== keys || this.scanned.markerKeys !== markerKeys) {
      const workers = parseWorkerKeys(keys, markerKeys, this.heartbeatKey, this.shutdownKey, d.names());
      workers.heartbeats = workers.heartbeats.filter((w) => this.owns(w.workerType));
      workers.markers = workers.markers.filter((w) => this.owns(w.workerType));
      this.scanned = { keys, markerKeys, keySet: new Set(keys), workers };
    }
    names.addAll(this.scanned.workers.names);
    return { keys: d.lastCompleteMs > 0 ? this.scanned.keySet : undefined, workers: this.scanned.workers };
  }

  /**
   * Worker types that keep a series at zero alive: what exists now, never a
   * set that grows in memory (a deleted stream must not page as a crash).
   * Types with a live heartbeat or a shutdown marker are added by the build.
   */
  private knownTypes(streams: readonly ObservedStream[]): Set<string> {
    const known = new Set(this.cfg.worker_types.map((w) => w.name).filter(this.owns));
    for (const s of streams) if (s.groups.length > 0) known.add(s.workerType);
    return known;
  }

  private streams(): string[] {
    const names = new Set<string>();
    this.cfg.streams.patterns.forEach((_, i) => this.streamDiscovery.keys(i).forEach((k) => names.add(k)));
    for (const n of this.cfg.streams.names) names.add(n);
    for (const s of this.typeOfStream.keys()) names.add(s);
    return [...names].filter((s) => this.owns(this.workerTypeOf(s))).sort();
  }

  /** A stream's worker type: the configured one, else the stream's own name. */
  private workerTypeOf(stream: string): string {
    return this.typeOfStream.get(stream) ?? stream;
  }

  async collect({ signal, deadlineMs }: CollectContext): Promise<CollectResult> {
    const client = this.client!;
    try {
      await ensureReady(client, signal);
      await this.firstPasses(client, deadlineMs);
      const result = await this.read(client);
      if (this.connectionError) this.log?.info('redis connection restored');
      this.connectionError = undefined;
      this.connectionTimedOut = false;
      return result;
    } catch (err) {
      const message = errorMessage(err);
      const cause = this.connectionError && !message.includes(this.connectionError) ? `: ${this.connectionError}` : '';
      throw new CollectError(message + cause, this.downFamilies(), client.status !== 'ready' && this.connectionTimedOut);
    }
  }

  downFamilies(): MetricFamily[] {
    const snap = new Snapshot();
    snap.gauge(metric.fleet_redis_up, 'Whether Redis answered the last scrape.').set(0);
    return snap.families();
  }

  private async read(client: RedisClient): Promise<CollectResult> {
    const streamNames = this.streams();
    const nodes = masterNodes(client);
    const names = new RawNames();
    names.addAll(this.streamDiscovery.names());
    const scanned = this.scannedWorkers(names);

    // Batch 1: server state and every stream's XINFO STREAM / GROUPS.
    const keys = streamNames.map((s) => names.arg(s));
    writeTogether(client);
    const [timeReply, memInfos, clientInfos, streamReplies, groupReplies] = await Promise.all([
      client.time(),
      Promise.all(nodes.map((n) => n.info('memory'))),
      Promise.all(nodes.map((n) => n.info('clients'))),
      Promise.all(keys.map((k) => settle(client.xinfo('STREAM', k)))),
      Promise.all(keys.map((k) => settle(client.xinfo('GROUPS', k)))),
    ]);
    const nowMs = parseTime(timeReply);
    const sum = (infos: string[], field: string) => infos.reduce((acc, t) => acc + Number(parseInfo(t).get(field) ?? 0), 0);

    const observed = await Promise.all(
      streamNames.map(async (name, i): Promise<ObservedStream | undefined> => {
        const sReply = streamReplies[i];
        const gReply = groupReplies[i];
        if (sReply instanceof Error || gReply instanceof Error) {
          const e = (sReply instanceof Error ? sReply : gReply) as Error;
          if (!isMissingOrWrongType(e)) throw e;
          if (/WRONGTYPE/.test(e.message) && !this.warnedKeys.has(name)) {
            this.warnedKeys.add(name);
            this.log?.warn({ key: name }, 'configured stream is not a stream; skipping it');
          }
          return undefined;
        }
        const key = keys[i]!;
        const groups = await xinfoNamed(client, names, ['GROUPS', key], gReply, parseXinfoGroups, (gs) => gs.map((g) => g.name));
        return {
          name,
          key,
          workerType: this.workerTypeOf(name),
          info: parseXinfoStream(sReply),
          groups: groups.map((g): ObservedGroup => ({ ...g, consumerColumns: { names: [], pending: [], idleMs: [] }, workerSlots: [] })),
        };
      }),
    );
    const streams = observed.filter((s): s is ObservedStream => s !== undefined);

    // Task metrics: one HGETALL per known worker type (and per type with heartbeats), alongside batches 2-4.
    const knownTypes = this.knownTypes(streams);
    const taskTypes = new Set([...knownTypes, ...scanned.workers.heartbeats.map((w) => w.workerType)]);
    const taskReads = this.cfg.task_metrics.enabled ? settle(readTaskMetrics(client, [...taskTypes], this.cfg.task_metrics)) : undefined;

    // Batches 2-4 run per chunk of streams, so Redis answers one chunk while
    // Node parses the other (same commands, overlapped).
    const settings: LookupSettings = { shutdownKey: this.shutdownKey, ttlSeconds: this.cfg.heartbeats.ttl_seconds };
    const chunks: ObservedStream[][] = [];
    for (let i = 0; i < streams.length; i += STREAMS_PER_CHUNK) chunks.push(streams.slice(i, i + STREAMS_PER_CHUNK));
    // Sized for every consumer XINFO GROUPS counted and every scanned key: it rarely has to grow.
    let capacity = scanned.workers.heartbeats.length + scanned.workers.markers.length + 64;
    for (const s of streams) for (const g of s.groups) capacity += g.consumers;
    const workers = new WorkerTable(this.heartbeatKey, capacity, names);
    await mapLimit(chunks, CHUNKS_IN_FLIGHT, async (chunk) => {
      await readConsumers(client, chunk, names);
      const added: number[] = []; // workers first named by this chunk (a worker may consume several groups)
      for (const s of chunk) {
        for (const g of s.groups) g.workerSlots = g.consumerColumns.names.map((id) => workers.slot(s.workerType, id, added));
      }
      await lookupHeartbeats(client, workers, added, [], settings, nowMs, scanned.keys);
    });
    // Workers found by SCAN that no consumer named (an orchestrator), and every scanned marker.
    const orchestrators: number[] = [];
    for (const w of scanned.workers.heartbeats) workers.slot(w.workerType, w.workerId, orchestrators);
    const markerSlots = scanned.workers.markers.map((w) => workers.slot(w.workerType, w.workerId));
    await lookupHeartbeats(client, workers, orchestrators, markerSlots, settings, nowMs, scanned.keys);

    const { families, dropped } = buildFleetMetrics(
      {
        nowMs,
        server: {
          usedMemoryBytes: sum(memInfos, 'used_memory'),
          maxmemoryBytes: sum(memInfos, 'maxmemory'),
          connectedClients: sum(clientInfos, 'connected_clients'),
        },
        streams,
        workers,
        knownTypes,
        discoveryAgeSeconds: {
          streams: this.streamDiscovery.ageSeconds(),
          ...(this.heartbeatDiscovery && { heartbeats: this.heartbeatDiscovery.ageSeconds() }),
        },
      },
      {
        workerTypes: this.cfg.worker_types,
        perConsumer: this.cfg.streams.per_consumer,
        maxConsumerSeries: this.cfg.streams.max_consumer_series,
      },
    );
    const taskInput = await taskReads;
    if (taskInput instanceof Error) throw taskInput;
    const tasks = taskInput && buildTaskMetrics(taskInput, this.cfg.task_metrics.max_outcomes);
    const all = tasks ? [...families, ...tasks.families] : families;
    return { families: cachedHelp(all, this.cfg.min_interval_seconds), droppedSeries: dropped + (tasks?.dropped ?? 0) };
  }
}
