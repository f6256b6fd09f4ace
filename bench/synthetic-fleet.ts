import type { Redis } from 'ioredis';

export interface FleetShape {
  streams: number;
  groupsPerStream: number;
  consumersPerGroup: number;
  /** Entries per stream; each consumer reads (and leaves pending) `pendingPerConsumer` of them. */
  entriesPerStream: number;
  pendingPerConsumer: number;
  /** Fraction of consumers with a live heartbeat (the rest are stranding or phantom). */
  aliveFraction: number;
  unrelatedKeys: number;
  streamPrefix?: string;
  heartbeatTtlSeconds?: number;
}

export const BENCH_FLEET: FleetShape = {
  streams: 1000,
  groupsPerStream: 3,
  consumersPerGroup: 20,
  entriesPerStream: 30,
  pendingPerConsumer: 1,
  aliveFraction: 0.9,
  unrelatedKeys: 100_000,
};

/**
 * Writes a synthetic fleet: streams with groups and consumers (each consumer
 * named uniquely, as real workers with random ids are), heartbeats for most of
 * them, and unrelated keys that SCAN has to wade through. Pipelined in chunks.
 */
export async function writeFleet(redis: Redis, shape: FleetShape): Promise<void> {
  const prefix = shape.streamPrefix ?? 'stream.';
  const ttl = shape.heartbeatTtlSeconds ?? 3600;
  const now = Math.floor(Date.now() / 1000);
  for (let s = 0; s < shape.streams; s++) {
    const stream = `${prefix}${s}`;
    const p = redis.pipeline();
    for (let e = 0; e < shape.entriesPerStream; e++) p.xadd(stream, '*', 'task', `{"n":${e}}`);
    for (let g = 0; g < shape.groupsPerStream; g++) {
      const group = `group-${g}`;
      p.xgroup('CREATE', stream, group, '0');
      for (let c = 0; c < shape.consumersPerGroup; c++) {
        const consumer = `w-${s}-${g}-${c}`;
        if (shape.pendingPerConsumer > 0) p.xreadgroup('GROUP', group, consumer, 'COUNT', shape.pendingPerConsumer, 'STREAMS', stream, '>');
        else p.xgroup('CREATECONSUMER', stream, group, consumer);
        if ((c + 1) / shape.consumersPerGroup <= shape.aliveFraction) {
          p.set(`worker:heartbeat:${stream}:${consumer}`, String(now), 'EX', ttl);
        }
      }
    }
    await p.exec();
  }
  for (let i = 0; i < shape.unrelatedKeys; i += 5000) {
    const p = redis.pipeline();
    for (let k = i; k < Math.min(i + 5000, shape.unrelatedKeys); k++) p.set(`app:cache:${k}`, 'x');
    await p.exec();
  }
}
