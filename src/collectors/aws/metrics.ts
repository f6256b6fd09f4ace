import { Snapshot, type MetricFamily } from '../../metrics/family.js';
import { checkValue, type CheckName, type Instance } from './parse.js';
import type { Datapoint, MetricSpec } from './queries.js';
import { EC2_STATES } from './schema.js';
import { metric } from '../../metrics/names.js';

export const AGE_FAMILY = metric.fleet_cloudwatch_datapoint_age_seconds;
const CHECKS: CheckName[] = ['system', 'instance', 'ebs'];

/**
 * EC2 families from one discovery. Counts cover every discovered instance
 * (every state, zeros included, per region); per-instance series only the
 * capped set `kept`.
 */
export function buildEc2Families(all: readonly Instance[], kept: readonly Instance[], regions: readonly string[]): MetricFamily[] {
  const snap = new Snapshot();
  const counts = snap.gauge(metric.fleet_ec2_instances, 'Discovered EC2 instances by state (refreshed in the background every refresh_seconds).', ['region', 'state']);
  for (const region of regions) {
    for (const state of EC2_STATES) counts.set(all.filter((i) => i.region === region && i.state === state).length, region, state);
  }
  const info = snap.gauge(metric.fleet_ec2_instance_info, 'EC2 instance attributes (always 1); name is the Name tag.', [
    'instance_id',
    'instance_type',
    'availability_zone',
    'name',
    'region',
  ]);
  const state = snap.gauge(metric.fleet_ec2_instance_state, 'Current EC2 state of the instance (1 for its state; no series for other states).', ['instance_id', 'state']);
  const check = snap.gauge(
    metric.fleet_ec2_instance_status_check_ok,
    'EC2 status check passed (1) or impaired (0); absent while initializing, insufficient-data or not-applicable.',
    ['instance_id', 'check'],
  );
  for (const i of kept) {
    info.set(1, i.id, i.type, i.availabilityZone, i.name, i.region);
    state.set(1, i.id, i.state);
    for (const c of CHECKS) {
      const v = checkValue(i.checks[c]);
      if (v !== undefined) check.set(v, i.id, c);
    }
  }
  return snap.families();
}

/**
 * CloudWatch families from one refresh. Ages are relative to `nowMs` (the
 * refresh time); `withCurrentAges` moves them forward at scrape time. An
 * instance's age is that of its stalest exported metric.
 */
export function buildCloudWatchFamilies(points: readonly Datapoint[], specs: readonly MetricSpec[], nowMs: number): MetricFamily[] {
  const snap = new Snapshot();
  const gauges = specs.map((s) => snap.gauge(s.name, s.help, ['instance_id']));
  const oldestEnd = new Map<string, number>();
  for (const p of points) {
    gauges[p.spec]!.set(p.value, p.instanceId);
    const prev = oldestEnd.get(p.instanceId);
    if (prev === undefined || p.periodEndMs < prev) oldestEnd.set(p.instanceId, p.periodEndMs);
  }
  const age = snap.gauge(AGE_FAMILY, 'Seconds since the end of the period of the latest complete CloudWatch datapoint (stalest metric of the instance).', ['instance_id']);
  for (const [id, end] of oldestEnd) age.set(Math.max(0, (nowMs - end) / 1000), id);
  return snap.families();
}

/**
 * What a scrape serves from the last CloudWatch result: only instances that
 * are running now (a stopped instance's utilization is absent, never 0), and
 * datapoint ages grown by the time since that result was fetched.
 */
export function currentCloudWatchFamilies(families: readonly MetricFamily[], running: ReadonlySet<string>, sinceRefreshSeconds: number): MetricFamily[] {
  return families
    .map((f) => ({
      ...f,
      samples: f.samples
        .filter((s) => running.has(s.labelValues[0]!))
        .map((s) => (f.name === AGE_FAMILY ? { ...s, value: Math.round((s.value + sinceRefreshSeconds) * 1000) / 1000 } : s)),
    }))
    .filter((f) => f.samples.length > 0);
}
