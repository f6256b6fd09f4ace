import type { Collector, CollectContext, CollectResult } from '../types.js';
import { CollectError } from '../types.js';
import type { Logger } from '../../log.js';
import { Snapshot } from '../../metrics/family.js';
import { errorMessage } from '../../redact.js';
import { createRedisClient, ensureReady, masterNodes, type RedisClient } from './connection.js';
import { Periodic, scanKeys } from './discovery.js';
import { buildFleetMetrics, type ObservedGroup, type ObservedStream } from './fleet.js';
import { lookupHeartbeats, WorkerTable, type LookupSettings, type WorkerRef } from './heartbeats.js';
import { KeyTemplate } from './keys.js';
import {
  parseInfo,
  parseOldestPending,
  parseTime,
  parseXinfoConsumers,
  parseXinfoGroups,
  parseXinfoStream,
} from './parse.js';
import type { RedisConfig } from './schema.js';

/** Resolves to the value or to the Error, so one bad key never fails a whole batch. */
function settle<T>(p: Promise<T>): Promise<T | Error> {
  return p.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
}

function isMissingOrWrongType(e: Error): boolean {
  return /no such key|WRONGTYPE|ERR The XINFO|requires the key to exist/i.test(e.message);
}

/** Streams per pipelined chunk of batches 2-4. */
const STREAMS_PER_CHUNK = 50;

/** XINFO CONSUMERS for every group, and the oldest pending entry (XPENDING) where something is pending. */
async function readConsumers(client: RedisClient, streams: ObservedStream[]): Promise<void> {
  const reads: Promise<void>[] = [];
  for (const s of streams) {
    for (const g of s.groups) {
      reads.push(
        settle(client.xinfo('CONSUMERS', s.name, g.name)).then((reply) => {
          // A group deleted between the batches simply reports no consumers.
          if (!(reply instanceof Error)) g.consumerColumns = parseXinfoConsumers(reply);
        }),
      );
      if (g.pending > 0) {
        reads.push(
          settle(client.xpending(s.name, g.name, '-', '+', 1)).then((reply) => {
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
  private discoveredStreams: string[] = [];
  private streamDiscovery?: Periodic;
  private heartbeatDiscovery?: Periodic;
  /** Workers whose heartbeat or shutdown-marker keys SCAN found: some consume no stream. */
  private scannedHeartbeats: WorkerRef[] = [];
  private scannedMarkers: WorkerRef[] = [];
  /** The heartbeat keys themselves; undefined until a heartbeat SCAN ran (or when it is off). */
  private scannedHeartbeatKeys?: Set<string>;
  /** Worker types ever seen; a known type keeps its series at zero when all its workers are gone. */
  private readonly seenTypes = new Set<string>();
  /** Why the connection is down, for the status page (ioredis retries in the background). */
  private connectionError?: string;
  /** The connection failed because Redis did not answer in time (it may be frozen or overloaded). */
  private connectionTimedOut = false;
  /** Explicit streams that are not streams: warned about once, not on every scrape. */
  private readonly warnedKeys = new Set<string>();

  constructor(private readonly cfg: RedisConfig) {
    this.timeoutSeconds = cfg.timeout_seconds;
    this.minIntervalSeconds = cfg.min_interval_seconds;
    this.heartbeatKey = new KeyTemplate(cfg.heartbeats.key);
    this.shutdownKey = new KeyTemplate(cfg.heartbeats.shutdown_key);
    this.typeOfStream = new Map(cfg.worker_types.filter((w) => w.stream).map((w) => [w.stream!, w.name]));
    for (const w of cfg.worker_types) this.seenTypes.add(w.name);
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
    client.on('ready', () => {
      if (this.connectionError) log.info('redis connection restored');
      this.connectionError = undefined;
      this.connectionTimedOut = false;
    });
    client.connect().catch(() => undefined);
    this.streamDiscovery = new Periodic(this.cfg.streams.discovery_interval_seconds, () => this.discoverStreams());
    this.streamDiscovery.start();
    if (this.cfg.heartbeats.scan) {
      this.heartbeatDiscovery = new Periodic(this.cfg.heartbeats.scan_interval_seconds, () => this.discoverHeartbeats());
      this.heartbeatDiscovery.start();
    }
  }

  async close(): Promise<void> {
    this.streamDiscovery?.stop();
    this.heartbeatDiscovery?.stop();
    this.client?.disconnect();
  }

  private async discoverStreams(): Promise<void> {
    const client = this.client!;
    if (client.status !== 'ready') throw new Error('not connected'); // retried by the next scrape
    if (this.cfg.streams.patterns.length === 0) return;
    const found = new Set<string>();
    for (const node of masterNodes(client)) {
      for (const pattern of this.cfg.streams.patterns) {
        for (const k of await scanKeys(node, pattern, 'stream')) found.add(k);
      }
    }
    this.discoveredStreams = [...found];
  }

  private async discoverHeartbeats(): Promise<void> {
    const client = this.client!;
    if (client.status !== 'ready') throw new Error('not connected'); // retried by the next scrape
    const heartbeats: WorkerRef[] = [];
    const heartbeatKeys = new Set<string>();
    const markers: WorkerRef[] = [];
    for (const node of masterNodes(client)) {
      for (const k of await scanKeys(node, this.heartbeatKey.scanPattern)) {
        const parsed = this.heartbeatKey.parse(k);
        if (!parsed) continue;
        heartbeats.push(parsed);
        heartbeatKeys.add(k);
      }
      for (const k of await scanKeys(node, this.shutdownKey.scanPattern)) {
        const parsed = this.shutdownKey.parse(k);
        if (parsed) markers.push(parsed);
      }
    }
    for (const w of [...heartbeats, ...markers]) this.seenTypes.add(w.workerType);
    this.scannedHeartbeats = heartbeats;
    this.scannedHeartbeatKeys = heartbeatKeys;
    this.scannedMarkers = markers;
  }

  private streams(): string[] {
    const names = new Set<string>(this.discoveredStreams);
    for (const n of this.cfg.streams.names) names.add(n);
    for (const s of this.typeOfStream.keys()) names.add(s);
    return [...names].sort();
  }

  async collect({ signal }: CollectContext): Promise<CollectResult> {
    const client = this.client!;
    try {
      await ensureReady(client, signal);
      if (this.streamDiscovery && this.streamDiscovery.lastRunMs === 0) await this.streamDiscovery.run();
      if (this.heartbeatDiscovery && this.heartbeatDiscovery.lastRunMs === 0) await this.heartbeatDiscovery.run();
      return await this.read(client);
    } catch (err) {
      const snap = new Snapshot();
      snap.gauge('fleet_redis_up', 'Whether Redis answered the last scrape.').set(0);
      const cause = client.status !== 'ready' && this.connectionError ? `: ${this.connectionError}` : '';
      throw new CollectError(errorMessage(err) + cause, snap.families(), client.status !== 'ready' && this.connectionTimedOut);
    }
  }

  private async read(client: RedisClient): Promise<CollectResult> {
    const names = this.streams();
    const nodes = masterNodes(client);

    // Batch 1: server state and every stream's XINFO STREAM / GROUPS.
    const [timeReply, memInfos, clientInfos, streamReplies, groupReplies] = await Promise.all([
      client.time(),
      Promise.all(nodes.map((n) => n.info('memory'))),
      Promise.all(nodes.map((n) => n.info('clients'))),
      Promise.all(names.map((s) => settle(client.xinfo('STREAM', s)))),
      Promise.all(names.map((s) => settle(client.xinfo('GROUPS', s)))),
    ]);
    const nowMs = parseTime(timeReply);
    const sum = (infos: string[], field: string) => infos.reduce((acc, t) => acc + Number(parseInfo(t).get(field) ?? 0), 0);

    const streams: ObservedStream[] = [];
    names.forEach((name, i) => {
      const sReply = streamReplies[i];
      const gReply = groupReplies[i];
      if (sReply instanceof Error || gReply instanceof Error) {
        const e = (sReply instanceof Error ? sReply : gReply) as Error;
        if (!isMissingOrWrongType(e)) throw e;
        if (/WRONGTYPE/.test(e.message) && !this.warnedKeys.has(name)) {
          this.warnedKeys.add(name);
          this.log?.warn({ key: name }, 'configured stream is not a stream; skipping it');
        }
        return;
      }
      const workerType = this.typeOfStream.get(name) ?? name;
      const groups = parseXinfoGroups(gReply).map(
        (g): ObservedGroup => ({ ...g, consumerColumns: { names: [], pending: [], idleMs: [] }, workerSlots: [] }),
      );
      if (groups.length > 0) this.seenTypes.add(workerType);
      streams.push({ name, workerType, info: parseXinfoStream(sReply), groups });
    });

    // Batches 2-4 run per chunk of streams, so Redis answers one chunk while
    // Node parses the previous one (same commands, overlapped).
    const settings: LookupSettings = { shutdownKey: this.shutdownKey, ttlSeconds: this.cfg.heartbeats.ttl_seconds };
    const chunks: ObservedStream[][] = [];
    for (let i = 0; i < streams.length; i += STREAMS_PER_CHUNK) chunks.push(streams.slice(i, i + STREAMS_PER_CHUNK));
    // Sized for every consumer XINFO GROUPS counted and every scanned key: it rarely has to grow.
    let capacity = this.scannedHeartbeats.length + this.scannedMarkers.length + 64;
    for (const s of streams) for (const g of s.groups) capacity += g.consumers;
    const workers = new WorkerTable(this.heartbeatKey, capacity);
    await Promise.all(
      chunks.map(async (chunk) => {
        await readConsumers(client, chunk);
        const added: number[] = []; // workers first named by this chunk (a worker may consume several groups)
        for (const s of chunk) {
          for (const g of s.groups) g.workerSlots = g.consumerColumns.names.map((id) => workers.slot(s.workerType, id, added));
        }
        await lookupHeartbeats(client, workers, added, [], settings, nowMs, this.scannedHeartbeatKeys);
      }),
    );
    // Workers found by SCAN that no consumer named (an orchestrator), and every scanned marker.
    const orchestrators: number[] = [];
    for (const w of this.scannedHeartbeats) workers.slot(w.workerType, w.workerId, orchestrators);
    const markerSlots = this.scannedMarkers.map((w) => workers.slot(w.workerType, w.workerId));
    await lookupHeartbeats(client, workers, orchestrators, markerSlots, settings, nowMs, this.scannedHeartbeatKeys);

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
        knownTypes: this.seenTypes,
      },
      {
        workerTypes: this.cfg.worker_types,
        perConsumer: this.cfg.streams.per_consumer,
        maxConsumerSeries: this.cfg.streams.max_consumer_series,
      },
    );
    return { families, droppedSeries: dropped };
  }
}
