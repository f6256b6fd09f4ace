import { z } from 'zod';
import type { MetricFamily } from './metrics/family.js';
import { metric } from './metrics/names.js';

/**
 * Sharding (kube-state-metrics' `--shard` / `--total-shards`): N exporters
 * split one fleet by worker type. A worker type is owned by shard
 * `fnv1a32(UTF-8 bytes of worker_type) mod total_shards`, so every process,
 * on any version, agrees on the owner without talking to the others; its
 * streams, groups, consumers, heartbeats and shutdown markers go with it.
 */
export interface Shard {
  index: number;
  total: number;
}

export const UNSHARDED: Shard = { index: 0, total: 1 };

/** Sources that are not split: they run on shard 0 only unless listed in `sharding.sources_on_every_shard`. */
export const UNSPLIT_SOURCES = ['postgres', 'daytona', 'aws'] as const;
export type UnsplitSource = (typeof UNSPLIT_SOURCES)[number];

export const shardingSchema = z
  .strictObject({
    sources_on_every_shard: z
      .array(z.enum(UNSPLIT_SOURCES))
      .default([])
      .describe('Sources read by every shard; by default Postgres, Daytona and AWS are read by shard 0 only, so N shards do not multiply their load or API cost.'),
  })
  .prefault({});

export type ShardingConfig = z.infer<typeof shardingSchema>;

/** 32-bit FNV-1a: tiny, stable, and well spread over short names. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function shardOf(workerType: string, total: number): number {
  return fnv1a32(workerType) % total;
}

/** Whether this shard reads the worker type (always, unsharded). */
export function ownsWorkerType(shard: Shard, workerType: string): boolean {
  return shard.total === 1 || shardOf(workerType, shard.total) === shard.index;
}

export function runsSource(shard: Shard, source: UnsplitSource, sharding: ShardingConfig): boolean {
  return shard.index === 0 || sharding.sources_on_every_shard.includes(source);
}

export interface ShardInputs {
  /** --shard / FLEET_SHARD */
  shard?: string;
  /** --total-shards / FLEET_TOTAL_SHARDS */
  totalShards?: string;
  /** --shard-from-hostname / FLEET_SHARD_FROM_HOSTNAME=true: the ordinal of a StatefulSet pod's name (`name-2` → 2). */
  fromHostname?: boolean;
  hostname: string;
}

const INTEGER = /^(0|[1-9]\d{0,5})$/;

/** Reads the shard from flags or env; returns every problem at once. */
export function parseShard(inputs: ShardInputs): { shard: Shard } | { problems: string[] } {
  const problems: string[] = [];
  const { totalShards, fromHostname, hostname } = inputs;
  let shard = inputs.shard;
  if (fromHostname) {
    if (shard !== undefined) problems.push('--shard and --shard-from-hostname are mutually exclusive');
    const ordinal = /-(\d+)$/.exec(hostname)?.[1];
    if (ordinal === undefined) problems.push(`--shard-from-hostname: hostname "${hostname}" does not end in -ORDINAL (a StatefulSet pod name)`);
    shard = ordinal;
  }
  if (shard === undefined && totalShards === undefined) return problems.length ? { problems } : { shard: UNSHARDED };
  if (shard === undefined) problems.push('--total-shards needs --shard (or --shard-from-hostname)');
  if (totalShards === undefined) problems.push('--shard needs --total-shards');
  if (shard !== undefined && !INTEGER.test(shard)) problems.push(`--shard "${shard}": must be an integer >= 0`);
  if (totalShards !== undefined && (!INTEGER.test(totalShards) || Number(totalShards) < 1)) {
    problems.push(`--total-shards "${totalShards}": must be an integer >= 1`);
  }
  if (problems.length) return { problems };
  const index = Number(shard);
  const total = Number(totalShards);
  if (index >= total) return { problems: [`--shard ${index}: must be less than --total-shards ${total} (shards are numbered 0 to ${total - 1})`] };
  return { shard: { index, total } };
}

export function shardInfoFamily(shard: Shard): MetricFamily {
  return {
    name: metric.fleet_exporter_shard_info,
    help: 'Always 1; which shard of how many this exporter is (0 of 1 when not sharded). Worker types are split by FNV-1a of worker_type mod total_shards.',
    type: 'gauge',
    labelNames: ['shard', 'total_shards'],
    samples: [{ labelValues: [String(shard.index), String(shard.total)], value: 1 }],
  };
}
