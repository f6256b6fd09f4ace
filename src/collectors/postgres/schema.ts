import { z } from 'zod';
import * as operations from './presets/operations.js';
import * as sandboxEvents from './presets/sandbox-events.js';
import * as shepherd from './presets/shepherd.js';
import * as tasks from './presets/tasks.js';
import { PRESET_NAMES, presetQueries } from './presets/index.js';
import { labelNames, specsFromConfig, type MetricSpec } from './parse.js';
import { BUILTIN_METRICS } from './metrics.js';
import { tryUrl, urlSchema } from '../../config/url.js';

const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const sqlMetricSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a valid Prometheus metric name'),
  help: z.string().min(1),
  type: z.enum(['gauge', 'counter']).default('gauge'),
  query: z.string().min(1).describe('One SELECT; it runs in a READ ONLY transaction with statement_timeout = timeout_seconds.'),
  labels: z
    .array(
      z
        .string()
        .regex(LABEL, 'must be a column name that is a valid label name')
        .refine((l) => !l.startsWith('__'), 'label names starting with __ are reserved'),
    )
    .default([]),
  values: z.array(z.string().regex(/^[a-zA-Z0-9_]+$/, 'must be a column name of letters, digits and _ (it may become a metric name suffix)')).min(1),
  timeout_seconds: z.number().positive().default(2).describe('statement_timeout of the query; must be below postgres.timeout_seconds and scrape_timeout_seconds.'),
  min_interval_seconds: z.number().nonnegative().default(0).describe('Serve the last result while it is younger than this.'),
});

export const postgresSchema = z
  .strictObject({
    url: urlSchema({ schemes: ['postgres:', 'postgresql:'], userWithoutHost: true }),
    password: z.string().optional().describe('Overrides the URL password; prefer password_file.'),
    pool_size: z.number().int().positive().default(2).describe('Connections the exporter keeps (queries beyond it wait their turn).'),
    timeout_seconds: z.number().positive().default(4).describe('Time budget of one whole collection.'),
    connect_timeout_seconds: z.number().positive().default(2),
    max_rows_per_query: z.number().int().positive().default(5000).describe('Cap on series per query; the rest is counted in fleet_series_dropped_total.'),
    presets: z.array(z.enum(PRESET_NAMES as [string, ...string[]])).default([]),
    preset_options: z
      .strictObject({
        shepherd: shepherd.options.prefault({}),
        tasks: tasks.options.prefault({}),
        operations: operations.options.prefault({}),
        sandbox_events: sandboxEvents.options.prefault({}),
      })
      .prefault({})
      .describe('Table/column names, statuses and thresholds per preset (see docs/postgres.md).'),
    metrics: z.array(sqlMetricSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    for (const q of queryTimeouts(cfg)) {
      if (q.seconds >= cfg.timeout_seconds) {
        ctx.addIssue({
          code: 'custom',
          path: q.path,
          message: `must be below postgres.timeout_seconds (${cfg.timeout_seconds} s), the budget of a whole collection, or the query can never finish: raise postgres.timeout_seconds or lower this timeout`,
        });
      }
    }
    if (cfg.password !== undefined && !tryUrl(cfg.url)?.host) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'needs a url with a host (a socket directory goes in the host part, URL-encoded)' });
    }
    // Every metric family must be defined once, with one type and one label set,
    // whether it comes from a preset or the config.
    const families = new Map<string, { spec: MetricSpec; where: string }>();
    for (const name of BUILTIN_METRICS) families.set(name, { spec: { name, help: '', type: 'gauge', labels: ['?'], value: '' }, where: 'built in' });
    const claim = (spec: MetricSpec, where: string, path: (string | number)[]) => {
      const seen = families.get(spec.name);
      if (!seen) return void families.set(spec.name, { spec, where });
      // A preset may feed one family from several queries (active and other statuses).
      const samePreset = seen.where === where && where.startsWith('preset');
      const sameShape = seen.spec.type === spec.type && labelNames(seen.spec).join() === labelNames(spec).join();
      if (!samePreset || !sameShape) ctx.addIssue({ code: 'custom', path, message: `metric ${spec.name} is already defined (${seen.where})` });
    };
    for (const name of new Set(cfg.presets)) {
      for (const spec of presetQueries(name as (typeof PRESET_NAMES)[number], cfg.preset_options)) {
        for (const m of spec.metrics) claim(m, `preset ${name}`, ['presets']);
      }
    }
    cfg.metrics.forEach((m, i) => {
      const overlap = m.labels.filter((l) => m.values.includes(l));
      if (overlap.length > 0) ctx.addIssue({ code: 'custom', path: ['metrics', i, 'values'], message: `columns ${overlap.join(', ')} are both labels and values` });
      for (const spec of specsFromConfig([m])) for (const ms of spec.metrics) claim(ms, `metrics[${i}]`, ['metrics', i, 'name']);
    });
  });

export type PostgresConfig = z.infer<typeof postgresSchema>;

/** The statement timeout of every configured query (metrics and enabled presets), with its key path under `postgres`. */
export function queryTimeouts(cfg: PostgresConfig): { path: (string | number)[]; seconds: number }[] {
  return [
    ...cfg.metrics.map((m, i) => ({ path: ['metrics', i, 'timeout_seconds'], seconds: m.timeout_seconds })),
    ...[...new Set(cfg.presets)].map((p) => ({
      path: ['preset_options', p, 'timeout_seconds'],
      seconds: cfg.preset_options[p as keyof PostgresConfig['preset_options']].timeout_seconds,
    })),
  ];
}
export type SqlMetricConfig = z.infer<typeof sqlMetricSchema>;
