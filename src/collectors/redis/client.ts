import { isIP } from 'node:net';
import { Redis, Cluster, type RedisOptions } from 'ioredis';
import type { RedisConfig } from './schema.js';
import type { RedisName } from './names.js';

export type RedisClient = Redis | Cluster;

/** An IPv6 host comes in brackets ([::1]) in URLs and host:port; sockets want it bare. */
const unbracket = (host: string) => host.replace(/^\[(.*)\]$/, '$1');

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: unbracket(s.slice(0, i)), port: Number(s.slice(i + 1)) };
}

/**
 * Builds an ioredis client from the config. Commands fail fast while
 * disconnected (no offline queue) so a dead Redis costs a scrape milliseconds,
 * while ioredis keeps reconnecting in the background.
 */
export function createRedisClient(cfg: RedisConfig): RedisClient {
  const url = new URL(cfg.url);
  const useTls = url.protocol === 'rediss:' || cfg.tls !== undefined;
  const db = Number(url.pathname.replace(/^\//, '') || 0);
  const common: RedisOptions = {
    username: cfg.username ?? (url.username ? decodeURIComponent(url.username) : undefined),
    password: cfg.password ?? (url.password ? decodeURIComponent(url.password) : undefined),
    connectTimeout: cfg.timeout_seconds * 1000,
    commandTimeout: cfg.timeout_seconds * 1000,
    enableOfflineQueue: false,
    // Ready on connect: while Redis loads its dataset, commands fail at once
    // with LOADING (fleet_redis_up 0) instead of each scrape waiting its timeout.
    enableReadyCheck: false,
    // Commands are pipelined anyway (sent without waiting for replies). ioredis's
    // auto-pipelining only batches their writes, and holds every reply of a batch
    // until the last arrives: on a big fleet that cost more time and memory than
    // the writes it saves (docs/benchmarks.md).
    enableAutoPipelining: false,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    connectionName: 'fleet-exporter',
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 3000),
    tls: useTls
      ? {
          ca: cfg.tls?.ca,
          cert: cfg.tls?.cert,
          key: cfg.tls?.key,
          // SNI takes host names only; an IP is still checked against the certificate's IP SANs.
          servername: cfg.tls?.servername ?? (isIP(unbracket(url.hostname)) ? undefined : url.hostname),
          rejectUnauthorized: !(cfg.tls?.insecure_skip_verify ?? false),
        }
      : undefined,
  };
  if (cfg.cluster) {
    return new Cluster(cfg.cluster.nodes.map(hostPort), {
      redisOptions: common,
      enableOfflineQueue: false,
      lazyConnect: true,
      clusterRetryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 3000),
    });
  }
  if (cfg.sentinel) {
    return new Redis({
      ...common,
      db,
      sentinels: cfg.sentinel.sentinels.map(hostPort),
      name: cfg.sentinel.master_name,
      sentinelPassword: cfg.sentinel.password,
    });
  }
  return new Redis({ ...common, host: unbracket(url.hostname) || '127.0.0.1', port: Number(url.port || 6379), db });
}

/** Nodes to SCAN and INFO: the client itself, or every master of a cluster. */
export function masterNodes(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** Waits until the client is ready (or fails at once if it is reconnecting after an error). */
export async function ensureReady(client: RedisClient, signal: AbortSignal): Promise<void> {
  if (client.status === 'ready') return;
  // While ioredis waits to reconnect, fail at once: a dead Redis must cost a scrape milliseconds.
  if (client.status === 'reconnecting') throw new Error('not connected to Redis (reconnecting)');
  if (client.status === 'wait' || client.status === 'end') {
    client.connect().catch(() => undefined);
  }
  await new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      client.off('ready', onReady);
      client.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onReady = () => (cleanup(), resolve());
    const onError = (err: Error) => (cleanup(), reject(err));
    const onAbort = () => (cleanup(), reject(new Error(`not connected (${client.status})`)));
    client.once('ready', onReady);
    client.once('error', onError);
    signal.addEventListener('abort', onAbort);
  });
}

/** ioredis defines a `*Buffer` variant of every command at runtime, but declares none for XINFO. */
interface XinfoBuffer {
  xinfoBuffer(subcommand: 'CONSUMERS', key: RedisName, group: RedisName): Promise<unknown>;
}

/** XINFO CONSUMERS with names and field names as bytes. */
export function xinfoConsumersBuffer(client: RedisClient, key: RedisName, group: RedisName): Promise<unknown> {
  return (client as unknown as XinfoBuffer).xinfoBuffer('CONSUMERS', key, group);
}

/**
 * Holds the writes of the commands issued until the next tick and sends them
 * in one system call, as ioredis's auto-pipelining would, but without its
 * holding every reply of the batch until the last one arrives. Call before
 * issuing a burst of commands.
 */
export function writeTogether(client: RedisClient): void {
  const sockets = (client instanceof Cluster ? client.nodes() : [client]).map((node) => node.stream).filter((socket) => socket?.writable);
  for (const socket of sockets) socket.cork();
  process.nextTick(() => {
    for (const socket of sockets) socket.uncork();
  });
}
