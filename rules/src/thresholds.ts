import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { z } from 'zod';
import { describeIssue } from '../../src/config/load.js';

/** The repository root, from dist/<dir>/src/*.js or <dir>/src/*.ts alike. */
export const REPO_ROOT = new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url);
const DEFAULT_THRESHOLDS = new URL('rules/thresholds.yml', REPO_ROOT);

// Units as in rules/thresholds.yml: *_seconds seconds, *_ratio 0..1, *_for Prometheus durations.
const count = z.number().nonnegative();
const seconds = z.number().nonnegative();
const ratio = z.number().min(0).max(1, 'is a ratio (0..1)');
const duration = z.string().regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, 'must be a duration like 30s, 5m, 1h');
const price = z.number().nonnegative();
const section = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape);

const streamDefaults = section({
  reclaim_min_idle_seconds: seconds,
  reclaim_margin_seconds: seconds,
  pending_stuck_seconds: seconds,
  backlog_high: count,
});

// Per worker type; null = no threshold (the alert stays quiet for that type).
const workerTypeDefaults = section({
  failure_ratio: ratio.nullable(),
  duration_p95_seconds: seconds.nullable(),
  queue_wait_p95_seconds: seconds.nullable(),
});

/** Every key of rules/thresholds.yml; unknown keys are errors too. */
export const thresholdsSchema = section({
  links: section({ runbook_base_url: z.string(), grafana_url: z.string() }),
  selectors: section({ node: z.string(), node_filesystem: z.string(), blackbox: z.string() }),
  exporter: section({
    down_for: duration,
    collector_failing_for: duration,
    collector_stale_seconds: seconds,
    startup_grace_seconds: seconds,
    shard_missing_for: duration,
  }),
  workers: section({
    heartbeat_ttl_seconds: seconds.positive(),
    down_for: duration,
    shutdown_marker_window: duration,
    seen_alive_lookback: duration,
    below_minimum_for: duration,
  }),
  streams: section({
    defaults: streamDefaults,
    // Exact stream name -> the keys of `defaults` it replaces.
    overrides: z.record(z.string(), streamDefaults.partial()).default({}),
    backlog_high_for: duration,
    backlog_growing_min: count,
    backlog_growing_window: duration,
    backlog_growing_for: duration,
    pending_stuck_for: duration,
    poison_deliveries: count,
    poison_for: duration,
    phantom_consumers_max: count,
    phantom_for: duration,
    unbounded_length: count,
    unbounded_oldest_age_seconds: seconds,
    unbounded_for: duration,
  }),
  redis: section({ down_for: duration, memory_warning_ratio: ratio, memory_critical_ratio: ratio, memory_for: duration }),
  postgres: section({
    down_for: duration,
    connections_warning_ratio: ratio,
    connections_critical_ratio: ratio,
    connections_for: duration,
  }),
  tasks: section({
    callbacks_stale_seconds: seconds,
    callbacks_stale_for: duration,
    callbacks_orphaned_for: duration,
    queries_stuck_seconds: seconds,
    queries_stuck_for: duration,
    tasks_stuck_for: duration,
    operation_stuck_for: duration,
  }),
  task_metrics: section({
    defaults: workerTypeDefaults,
    // Exact worker type -> the keys of `defaults` it replaces.
    overrides: z.record(z.string(), workerTypeDefaults.partial()).default({}),
    min_tasks: count,
    failure_for: duration,
    duration_for: duration,
    queue_wait_for: duration,
  }),
  sandboxes: section({
    zombie_idle_seconds: seconds,
    zombie_for: duration,
    errored_for: duration,
    long_lived_seconds: seconds,
    long_lived_for: duration,
    price_per_cpu_core_hour: price,
    price_per_memory_gib_hour: price,
    price_per_disk_gib_hour: price,
    price_per_gpu_hour: price,
  }),
  ec2: section({
    cpu_high_ratio: ratio,
    cpu_high_for: duration,
    memory_high_ratio: ratio,
    memory_high_for: duration,
    status_check_failed_for: duration,
    cloudwatch_stale_seconds: seconds,
    cloudwatch_stale_for: duration,
  }),
  host: section({
    cpu_warning_ratio: ratio,
    cpu_critical_ratio: ratio,
    cpu_for: duration,
    memory_warning_ratio: ratio,
    memory_critical_ratio: ratio,
    memory_for: duration,
    disk_warning_ratio: ratio,
    disk_critical_ratio: ratio,
    disk_for: duration,
  }),
  endpoints: section({ down_for: duration }),
});

export type Thresholds = z.infer<typeof thresholdsSchema>;
export type StreamKey = keyof Thresholds['streams']['defaults'];
export type WorkerTypeKey = keyof Thresholds['task_metrics']['defaults'];

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `over` merged into `base`: mappings key by key, anything else replaced. */
function merge(base: unknown, over: unknown): unknown {
  if (!isMapping(base) || !isMapping(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

const readYaml = (file: URL | string): unknown => yaml.load(readFileSync(file, 'utf8'));

/**
 * Reads rules/thresholds.yml, merged with a team's file of changes when one is
 * given (for example rules/thresholds.example.yml), and validates the result:
 * every problem is reported with its key path.
 */
export function loadThresholds(overlay?: URL | string): Thresholds {
  const raw = overlay === undefined ? readYaml(DEFAULT_THRESHOLDS) : merge(readYaml(DEFAULT_THRESHOLDS), readYaml(overlay) ?? {});
  const result = thresholdsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.flatMap(describeIssue);
    const source = overlay === undefined ? 'rules/thresholds.yml' : `rules/thresholds.yml merged with ${String(overlay)}`;
    throw new Error(`invalid thresholds (${source}):\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return result.data;
}
