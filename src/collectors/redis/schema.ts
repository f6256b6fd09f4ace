import { z } from 'zod';
import { hostPortSchema, urlSchema } from '../../config/url.js';

const seconds = (def: number) => z.number().positive().default(def);

export const workerTypeSchema = z.strictObject({
  name: z.string().min(1).describe('Worker type name, used as the `worker_type` label and in heartbeat keys.'),
  stream: z.string().min(1).optional().describe('Stream this worker type consumes; its groups report under `name`.'),
  min_alive: z.number().int().nonnegative().default(1).describe('Minimum live workers (exported as fleet_worker_min_alive).'),
  concurrency: z.number().int().positive().default(1).describe('Task slots per worker (exported as fleet_worker_concurrency).'),
});

const workerTypeTemplate = (what: string) => z.string().refine((k) => k.includes('{worker_type}'), { message: `${what} must contain {worker_type}` });

export const taskMetricsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Read the task-metrics hash of every known worker type (one HGETALL each per scrape).'),
    key: workerTypeTemplate('key').default('worker:metrics:{worker_type}').describe('Hash workers flush task counts into (docs/task-metrics.md).'),
    max_outcomes: z.number().int().positive().default(10).describe('Distinct outcomes exported per worker type; the rest count in fleet_series_dropped_total.'),
    latency_list_key: workerTypeTemplate('latency_list_key')
      .optional()
      .describe('Seed-compatible: a list workers LPUSH elapsed milliseconds onto (e.g. "latency:{worker_type}"); read, never popped.'),
    latency_list_samples: z.number().int().positive().default(1000).describe('Newest entries of latency_list_key the recent quantiles are taken over.'),
  })
  .prefault({})
  .describe('Task latency, throughput and failures that workers flush into Redis (docs/task-metrics.md).');

export const redisSchema = z
  .strictObject({
    url: urlSchema({ schemes: ['redis:', 'rediss:'], redisDb: true })
      .default('redis://127.0.0.1:6379/0')
      .describe('redis:// or rediss:// URL; may carry user:password@ and a /db index.'),
    username: z.string().optional().describe('ACL user (overrides the URL).'),
    password: z.string().optional().describe('Password (overrides the URL); prefer password_file.'),
    tls: z
      .strictObject({
        ca: z.string().optional().describe('CA bundle (PEM); use ca_file to read it from a file.'),
        cert: z.string().optional().describe('Client certificate (PEM); cert_file reads it from a file.'),
        key: z.string().optional().describe('Client key (PEM); key_file reads it from a file.'),
        insecure_skip_verify: z.boolean().default(false),
        servername: z.string().optional(),
      })
      .optional()
      .describe('TLS options; a rediss:// URL enables TLS with system CAs.'),
    sentinel: z
      .strictObject({
        master_name: z.string().min(1),
        sentinels: z.array(hostPortSchema).min(1),
        password: z.string().optional(),
      })
      .optional()
      .describe('Connect through Redis Sentinel.'),
    cluster: z
      .strictObject({
        nodes: z.array(hostPortSchema).min(1),
      })
      .optional()
      .describe('Connect to a Redis Cluster (heartbeat lookups then run per key).'),
    timeout_seconds: seconds(4).describe('Per-scrape time budget for the Redis collector.'),
    min_interval_seconds: z.number().nonnegative().default(0).describe('Serve a cached result if the last collection is younger than this (0 = read on every scrape).'),
    discovery_max_redis_share: z
      .number()
      .gt(0)
      .max(1)
      .default(0.1)
      .describe(
        'Largest share of time the discovery SCANs (streams, heartbeats) may keep Redis busy; they pause between pages to stay under it, so a keyspace of millions of keys is discovered slowly rather than loading Redis.',
      ),
    streams: z
      .strictObject({
        patterns: z.array(z.string().min(1)).default([]).describe('Glob patterns, as SCAN MATCH, for stream discovery.'),
        names: z.array(z.string().min(1)).default([]).describe('Streams to watch explicitly.'),
        per_consumer: z.boolean().default(false).describe('Export per-consumer series (capped by max_consumer_series).'),
        max_consumer_series: z.number().int().nonnegative().default(2000).describe('Cap on consumers exported per scrape when per_consumer is on.'),
        discovery_interval_seconds: seconds(15).describe('How often SCAN looks for new streams.'),
      })
      .prefault({}),
    heartbeats: z
      .strictObject({
        key: z.string().default('worker:heartbeat:{worker_type}:{worker_id}'),
        shutdown_key: z.string().default('worker:shutdown:{worker_type}:{worker_id}'),
        ttl_seconds: seconds(15).describe('TTL workers set on heartbeat keys; used for age when the value has no timestamp.'),
        scan_interval_seconds: seconds(30).describe(
          'How often SCAN looks for heartbeats and shutdown markers of workers that consume no stream (twice the default scrape interval: a full keyspace SCAN is not for every scrape).',
        ),
        scan: z.boolean().default(true).describe('Discover heartbeat keys by SCAN (workers that consume no stream).'),
      })
      .prefault({})
      .refine((h) => h.key.includes('{worker_type}') && h.key.includes('{worker_id}'), {
        message: 'key must contain {worker_type} and {worker_id}',
        path: ['key'],
      })
      .refine((h) => h.shutdown_key.includes('{worker_type}') && h.shutdown_key.includes('{worker_id}'), {
        message: 'shutdown_key must contain {worker_type} and {worker_id}',
        path: ['shutdown_key'],
      }),
    worker_types: z.array(workerTypeSchema).default([]),
    task_metrics: taskMetricsSchema,
  })
  .refine((r) => !(r.sentinel && r.cluster), { message: 'sentinel and cluster are mutually exclusive', path: ['cluster'] });

export type RedisConfig = z.infer<typeof redisSchema>;
export type TaskMetricsConfig = z.infer<typeof taskMetricsSchema>;
export type WorkerTypeConfig = z.infer<typeof workerTypeSchema>;
