import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

/** The repository root, from dist/grafana/src/*.js or grafana/src/*.ts alike. */
export const REPO_ROOT = new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url);

/**
 * The alert thresholds of rules/thresholds.yml (the one place they live), so
 * the dashboards draw the same lines the alerts fire on. Only the keys the
 * dashboards read are typed; a missing key fails generation loudly.
 */
export interface Thresholds {
  selectors: { blackbox: string };
  workers: { heartbeat_ttl_seconds: number };
  streams: {
    defaults: { pending_stuck_seconds: number; backlog_high: number };
    poison_deliveries: number;
    phantom_consumers_max: number;
    unbounded_length: number;
    unbounded_oldest_age_seconds: number;
  };
  redis: { memory_warning_ratio: number; memory_critical_ratio: number };
  postgres: { connections_warning_ratio: number; connections_critical_ratio: number };
  tasks: { callbacks_stale_seconds: number; queries_stuck_seconds: number };
  sandboxes: {
    zombie_idle_seconds: number;
    long_lived_seconds: number;
  };
  ec2: { cpu_high_ratio: number; memory_high_ratio: number; cloudwatch_stale_seconds: number };
  host: {
    cpu_warning_ratio: number;
    cpu_critical_ratio: number;
    memory_warning_ratio: number;
    memory_critical_ratio: number;
    disk_warning_ratio: number;
    disk_critical_ratio: number;
  };
}

const REQUIRED: string[] = [
  'selectors.blackbox',
  'workers.heartbeat_ttl_seconds',
  'streams.defaults.pending_stuck_seconds',
  'streams.defaults.backlog_high',
  'streams.poison_deliveries',
  'streams.phantom_consumers_max',
  'streams.unbounded_length',
  'redis.memory_warning_ratio',
  'postgres.connections_warning_ratio',
  'tasks.callbacks_stale_seconds',
  'tasks.queries_stuck_seconds',
  'sandboxes.zombie_idle_seconds',
  'sandboxes.long_lived_seconds',
  'ec2.cpu_high_ratio',
  'ec2.cloudwatch_stale_seconds',
  'host.disk_warning_ratio',
];

export function loadThresholds(file = new URL('rules/thresholds.yml', REPO_ROOT)): Thresholds {
  const raw = yaml.load(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const path of REQUIRED) {
    const value = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], raw);
    if (value === undefined) throw new Error(`rules/thresholds.yml: missing ${path}, which the dashboards draw`);
  }
  return raw as unknown as Thresholds;
}
