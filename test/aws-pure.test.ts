import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awsSchema } from '../src/collectors/aws/schema.js';
import { batches, latestDatapoints, metricSpecs, planQueries, queryWindow } from '../src/collectors/aws/queries.js';
import { buildCloudWatchFamilies, buildEc2Families, currentCloudWatchFamilies } from '../src/collectors/aws/metrics.js';
import { capInstances, describeFilters, type Instance } from '../src/collectors/aws/parse.js';
import type { MetricFamily } from '../src/metrics/family.js';

const cfg = (extra: object = {}) => awsSchema.parse({ regions: ['us-east-1'], ...extra });

function inst(id: string, state: Instance['state'] = 'running', extra: Partial<Instance> = {}): Instance {
  return { id, region: 'us-east-1', state, type: 't3.micro', availabilityZone: 'us-east-1a', name: id, imageId: 'ami-1', checks: {}, ...extra };
}

const sample = (fams: MetricFamily[], name: string, ...labels: string[]) =>
  fams.find((f) => f.name === name)?.samples.find((s) => labels.every((l, i) => s.labelValues[i] === l))?.value;

test('the query window ends delay_seconds ago on a period boundary and spans lookback_periods', () => {
  const cw = cfg().cloudwatch;
  const now = Date.parse('2024-05-01T12:07:31Z');
  const w = queryWindow(now, cw);
  assert.equal(w.end.toISOString(), '2024-05-01T11:55:00.000Z'); // 12:07:31 - 600 s = 11:57:31, floored to 300 s
  assert.equal(w.start.toISOString(), '2024-05-01T11:40:00.000Z');
  assert.ok(now - w.end.getTime() >= cw.delay_seconds * 1000);
});

test('one MetricStat query per instance and metric, with ids AWS accepts, packed into calls of 500', () => {
  const specs = metricSpecs(cfg().cloudwatch); // CPU + memory
  const instances = Array.from({ length: 300 }, (_, k) => inst(`i-${k.toString(16).padStart(8, '0')}`));
  const planned = planQueries(instances, specs, 300);
  assert.equal(planned.length, 600);
  const ids = planned.map((p) => p.query.Id!);
  assert.equal(new Set(ids).size, 600);
  for (const id of ids) assert.match(id, /^[a-z][a-zA-Z0-9_]*$/);
  assert.deepEqual(
    batches(planned).map((b) => b.length),
    [500, 100],
  );
});

test('a metric asked twice by configuration is queried once and feeds both series', () => {
  const cw = cfg({ cloudwatch: { extra_metrics: [{ name: 'fleet_ec2_cpu_percent', namespace: 'AWS/EC2', metric_name: 'CPUUtilization' }] } }).cloudwatch;
  const specs = metricSpecs(cw);
  const planned = planQueries([inst('i-1')], specs, 300);
  assert.equal(planned.length, 2); // CPU (shared by two series) + memory
  const results = [{ Id: planned[0]!.query.Id, Timestamps: [new Date(0)], Values: [40] }];
  const points = latestDatapoints(planned, results, specs, 300);
  assert.deepEqual(points.map((p) => p.value).sort(), [0.4, 40]);
});

test('instances missing a dimension value get no query for that metric', () => {
  const cw = cfg({ cloudwatch: { memory_dimensions: ['InstanceId', 'AutoScalingGroupName'] } }).cloudwatch;
  const planned = planQueries([inst('i-1'), inst('i-2', 'running', { autoScalingGroup: 'asg-a' })], metricSpecs(cw), 300);
  const mem = planned.filter((p) => p.query.MetricStat?.Metric?.MetricName === 'mem_used_percent');
  assert.equal(mem.length, 1);
  assert.deepEqual(mem[0]!.query.MetricStat!.Metric!.Dimensions, [
    { Name: 'InstanceId', Value: 'i-2' },
    { Name: 'AutoScalingGroupName', Value: 'asg-a' },
  ]);
});

test('the newest datapoint wins whatever the order, percentages become ratios, age runs from the period end', () => {
  const specs = metricSpecs(cfg().cloudwatch);
  const planned = planQueries([inst('i-1')], specs, 300);
  const t0 = Date.parse('2024-05-01T11:45:00Z');
  const results = [{ Id: 'q0', Timestamps: [new Date(t0), new Date(t0 + 300_000)], Values: [90, 25] }];
  const points = latestDatapoints(planned, results, specs, 300);
  assert.equal(points.length, 1);
  assert.equal(points[0]!.value, 0.25);
  const fams = buildCloudWatchFamilies(points, specs, t0 + 900_000);
  assert.equal(sample(fams, 'fleet_ec2_cpu_utilization_ratio', 'i-1'), 0.25);
  assert.equal(sample(fams, 'fleet_cloudwatch_datapoint_age_seconds', 'i-1'), 300);
  assert.equal(sample(fams, 'fleet_ec2_memory_utilization_ratio', 'i-1'), undefined); // no agent: absent, not 0
});

test('state counts cover every state and every discovered instance, per-instance series only the capped ones', () => {
  const all = [inst('i-3', 'stopped'), inst('i-1'), inst('i-2', 'running', { checks: { system: 'impaired', instance: 'ok', ebs: 'initializing' } })];
  const { kept, dropped } = capInstances(all, 2);
  assert.deepEqual(
    kept.map((i) => i.id),
    ['i-1', 'i-2'],
  );
  assert.equal(dropped, 1);
  const fams = buildEc2Families(all, kept, ['us-east-1']);
  assert.equal(sample(fams, 'fleet_ec2_instances', 'us-east-1', 'running'), 2);
  assert.equal(sample(fams, 'fleet_ec2_instances', 'us-east-1', 'stopped'), 1);
  assert.equal(sample(fams, 'fleet_ec2_instances', 'us-east-1', 'terminated'), 0);
  assert.equal(fams.find((f) => f.name === 'fleet_ec2_instance_state')!.samples.length, 2);
  assert.equal(sample(fams, 'fleet_ec2_instance_status_check_ok', 'i-2', 'system'), 0);
  assert.equal(sample(fams, 'fleet_ec2_instance_status_check_ok', 'i-2', 'instance'), 1);
  assert.equal(sample(fams, 'fleet_ec2_instance_status_check_ok', 'i-2', 'ebs'), undefined);
});

test('a scrape never shows utilization of an instance that is no longer running, and ages keep growing', () => {
  const specs = metricSpecs(cfg().cloudwatch);
  const points = [
    { instanceId: 'i-1', spec: 0, value: 0.5, periodEndMs: 0 },
    { instanceId: 'i-2', spec: 0, value: 0.7, periodEndMs: 0 },
  ];
  const fams = buildCloudWatchFamilies(points, specs, 60_000);
  const served = currentCloudWatchFamilies(fams, new Set(['i-1']), 30);
  assert.equal(sample(served, 'fleet_ec2_cpu_utilization_ratio', 'i-2'), undefined);
  assert.equal(sample(served, 'fleet_ec2_cpu_utilization_ratio', 'i-1'), 0.5);
  assert.equal(sample(served, 'fleet_cloudwatch_datapoint_age_seconds', 'i-1'), 90);
});

test('tag and state filters become DescribeInstances filters', () => {
  const f = cfg({ filters: { tags: { team: ['ml', 'infra'] }, states: ['running', 'stopped'] } }).filters;
  assert.deepEqual(describeFilters(f), [
    { Name: 'tag:team', Values: ['ml', 'infra'] },
    { Name: 'instance-state-name', Values: ['running', 'stopped'] },
  ]);
});

test('config rejects unknown states and bad instance ids with their key path', () => {
  const r = awsSchema.safeParse({ regions: ['us-east-1'], filters: { states: ['sleeping'], instance_ids: ['x-1'] } });
  assert.equal(r.success, false);
  const paths = r.error!.issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('filters.states.0'));
  assert.ok(paths.includes('filters.instance_ids.0'));
});
