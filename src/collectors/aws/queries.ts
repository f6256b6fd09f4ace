import type { MetricDataQuery, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { Instance } from './parse.js';
import type { CloudWatchConfig, CloudWatchMetricConfig } from './schema.js';
import { metric } from '../../metrics/names.js';

/** GetMetricData accepts at most 500 queries per call. */
export const MAX_QUERIES_PER_CALL = 500;

/** One exported per-instance CloudWatch metric. */
export type MetricSpec = Required<Pick<CloudWatchMetricConfig, 'name' | 'namespace' | 'metric_name' | 'stat' | 'scale' | 'dimensions'>> & {
  help: string;
};

/** CPUUtilization always; mem_used_percent when enabled; then the configured extras. Percentages become ratios. */
export function metricSpecs(cw: CloudWatchConfig): MetricSpec[] {
  const specs: MetricSpec[] = [
    {
      name: metric.fleet_ec2_cpu_utilization_ratio,
      help: 'CPUUtilization (AWS/EC2, Average) of the latest complete CloudWatch period, as a ratio 0-1.',
      namespace: 'AWS/EC2',
      metric_name: 'CPUUtilization',
      stat: 'Average',
      scale: 0.01,
      dimensions: ['InstanceId'],
    },
  ];
  if (cw.memory) {
    specs.push({
      name: metric.fleet_ec2_memory_utilization_ratio,
      help: 'mem_used_percent (CWAgent, Average) of the latest complete CloudWatch period, as a ratio 0-1.',
      namespace: 'CWAgent',
      metric_name: 'mem_used_percent',
      stat: 'Average',
      scale: 0.01,
      dimensions: cw.memory_dimensions,
    });
  }
  for (const m of cw.extra_metrics) {
    specs.push({ ...m, help: m.help ?? `${m.metric_name} (${m.namespace}, ${m.stat}) of the latest complete CloudWatch period.` });
  }
  return specs;
}

export interface QueryWindow {
  start: Date;
  end: Date;
  periodSeconds: number;
}

/**
 * The window to ask for: it ends `delay_seconds` ago, aligned to the period,
 * so every datapoint in it is complete; `lookback_periods` long, so one late
 * or missing period still leaves an older complete one to export.
 */
export function queryWindow(nowMs: number, cw: CloudWatchConfig): QueryWindow {
  const periodMs = cw.period_seconds * 1000;
  const endMs = Math.floor((nowMs - cw.delay_seconds * 1000) / periodMs) * periodMs;
  return { start: new Date(endMs - cw.lookback_periods * periodMs), end: new Date(endMs), periodSeconds: cw.period_seconds };
}

/** Which exported series one query feeds. */
export interface QueryTarget {
  instanceId: string;
  spec: number;
}

export interface PlannedQuery {
  query: MetricDataQuery;
  targets: QueryTarget[];
}

function dimensionValue(inst: Instance, dim: MetricSpec['dimensions'][number]): string | undefined {
  switch (dim) {
    case 'InstanceId':
      return inst.id;
    case 'ImageId':
      return inst.imageId || undefined;
    case 'InstanceType':
      return inst.type || undefined;
    case 'AutoScalingGroupName':
      return inst.autoScalingGroup;
  }
}

/**
 * One MetricStat query per instance × metric. A query identical to one
 * already planned (same metric, stat and dimensions) is not asked twice; an
 * instance lacking a dimension's value (no Auto Scaling group) gets no query.
 * Ids follow AWS's rule ^[a-z][a-zA-Z0-9_]*$.
 */
export function planQueries(instances: readonly Instance[], specs: readonly MetricSpec[], periodSeconds: number): PlannedQuery[] {
  const byKey = new Map<string, PlannedQuery>();
  for (const inst of instances) {
    specs.forEach((spec, specIndex) => {
      const dims: { Name: string; Value: string }[] = [];
      for (const d of spec.dimensions) {
        const value = dimensionValue(inst, d);
        if (value === undefined) return;
        dims.push({ Name: d, Value: value });
      }
      const key = JSON.stringify([spec.namespace, spec.metric_name, spec.stat, dims]);
      const target = { instanceId: inst.id, spec: specIndex };
      const existing = byKey.get(key);
      if (existing) {
        existing.targets.push(target);
        return;
      }
      byKey.set(key, {
        targets: [target],
        query: {
          Id: `q${byKey.size}`,
          ReturnData: true,
          MetricStat: {
            Metric: { Namespace: spec.namespace, MetricName: spec.metric_name, Dimensions: dims },
            Period: periodSeconds,
            Stat: spec.stat,
          },
        },
      });
    });
  }
  return [...byKey.values()];
}

/** Splits queries into GetMetricData calls of at most 500, packed across metrics. */
export function batches<T>(items: readonly T[], size = MAX_QUERIES_PER_CALL): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The latest complete datapoint of one exported series. */
export interface Datapoint {
  instanceId: string;
  spec: number;
  /** Value after scaling (percent → ratio). */
  value: number;
  /** End of the datapoint's period, unix ms: the data is this fresh. */
  periodEndMs: number;
}

/** Picks each query's newest datapoint (whatever order CloudWatch returned them in). */
export function latestDatapoints(planned: readonly PlannedQuery[], results: readonly MetricDataResult[], specs: readonly MetricSpec[], periodSeconds: number): Datapoint[] {
  const byId = new Map(planned.map((p) => [p.query.Id!, p]));
  const newest = new Map<string, { t: number; v: number }>();
  for (const r of results) {
    if (!r.Id || !byId.has(r.Id)) continue;
    const ts = r.Timestamps ?? [];
    const vs = r.Values ?? [];
    for (let i = 0; i < ts.length && i < vs.length; i++) {
      const t = ts[i]!.getTime();
      const v = vs[i]!;
      if (!Number.isFinite(t) || !Number.isFinite(v)) continue;
      const cur = newest.get(r.Id);
      if (!cur || t > cur.t) newest.set(r.Id, { t, v });
    }
  }
  const out: Datapoint[] = [];
  for (const [id, { t, v }] of newest) {
    for (const target of byId.get(id)!.targets) {
      out.push({ ...target, value: v * specs[target.spec]!.scale, periodEndMs: t + periodSeconds * 1000 });
    }
  }
  return out;
}
