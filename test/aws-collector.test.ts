import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsCollector } from '../src/collectors/aws/index.js';
import { awsSchema } from '../src/collectors/aws/schema.js';
import { CollectError } from '../src/collectors/types.js';
import { createLogger } from '../src/log.js';
import type { MetricFamily } from '../src/metrics/family.js';
import { FakeAws, fixture, syntheticFleet } from './fakes/aws-server.js';
import { waitFor } from './helpers/net.js';

// The SDK's default chain finds these first; nothing here can reach AWS.
process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKEFAKEFAKE0001';
process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret-key-never-logged';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

const log = createLogger('silent');

/** A started collector against a started fake; refreshes only when a test asks (long intervals). */
async function setup(fake: FakeAws, aws: object = {}) {
  const endpoint = await fake.start();
  const collector = new AwsCollector(awsSchema.parse({ regions: ['us-east-1'], endpoint, refresh_seconds: 3600, cloudwatch_refresh_seconds: 3600, timeout_seconds: 2, ...aws }));
  collector.start(log);
  await waitFor(() => collector.ec2.lastSuccessSeconds() !== undefined && collector.cloudwatch?.lastSuccessSeconds() !== undefined, 20_000, 10);
  return {
    collector,
    async close() {
      await collector.close();
      await fake.close();
    },
  };
}

const samples = (fams: MetricFamily[], name: string) => fams.find((f) => f.name === name)?.samples ?? [];
const value = (fams: MetricFamily[], name: string, ...labels: string[]) => samples(fams, name).find((s) => labels.every((l, i) => s.labelValues[i] === l))?.value;

async function collectError(c: AwsCollector): Promise<CollectError> {
  try {
    await c.collect();
  } catch (err) {
    assert.ok(err instanceof CollectError);
    return err;
  }
  throw new Error('collect() succeeded');
}

test('hundreds of instances are discovered page by page, and CloudWatch follows at once in ceil(I×M/500) calls', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(750, { stoppedEvery: 10 });
  fake.pageSize = 100;
  const started = Date.now();
  const { collector, close } = await setup(fake);
  try {
    // cloudwatch_refresh_seconds is 3600: data now means the first refresh was chained to the discovery.
    assert.ok(Date.now() - started < 20_000, 'first CloudWatch refresh chained to the first discovery');
    assert.equal(fake.count('DescribeInstances'), 8); // 750 / 100 per page
    assert.equal(fake.count('DescribeInstanceStatus'), 8); // 100 ids per call
    const running = 675;
    assert.equal(fake.count('GetMetricData'), Math.ceil((running * 2) / 500));
    const calls = fake.requests.filter((r) => r.action === 'GetMetricData');
    const asked = calls.flatMap((r) =>
      [...r.params.entries()]
        .filter(([k]) => /^MetricDataQueries\.member\.\d+\.Id$/.test(k))
        .map(([k]) => {
          const q = k.slice(0, -'.Id'.length);
          return `${r.params.get(`${q}.MetricStat.Metric.MetricName`)}/${r.params.get(`${q}.MetricStat.Metric.Dimensions.member.1.Value`)}`;
        }),
    );
    assert.equal(asked.length, running * 2);
    assert.equal(new Set(asked).size, asked.length, 'nothing asked twice per refresh');
    assert.equal(collector.cost.metricsRequested.get(), running * 2);

    const { families } = await collector.collect();
    assert.equal(value(families, 'fleet_ec2_instances', 'us-east-1', 'running'), running);
    assert.equal(value(families, 'fleet_ec2_instances', 'us-east-1', 'stopped'), 75);
    assert.equal(samples(families, 'fleet_ec2_instance_state').length, 750);
    assert.equal(samples(families, 'fleet_ec2_cpu_utilization_ratio').length, running);
    const stopped = fake.instances.find((i) => i.state === 'stopped')!.id;
    assert.equal(value(families, 'fleet_ec2_instance_state', stopped, 'stopped'), 1);
    assert.equal(value(families, 'fleet_ec2_cpu_utilization_ratio', stopped), undefined, 'a stopped instance has no utilization, not 0');
    for (const s of samples(families, 'fleet_ec2_cpu_utilization_ratio')) assert.ok(s.value > 0 && s.value < 1);
    // Only instances with the agent publish mem_used_percent.
    const withAgent = fake.instances.filter((i) => i.state === 'running' && i.tags.agent).length;
    assert.equal(samples(families, 'fleet_ec2_memory_utilization_ratio').length, withAgent);
    const ages = samples(families, 'fleet_cloudwatch_datapoint_age_seconds').map((s) => s.value);
    assert.ok(
      ages.every((a) => a >= 600 && a < 900),
      'the exported datapoint is the latest complete one',
    );
  } finally {
    await close();
  }
});

test('scrapes within one refresh interval make no API call', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(20);
  const { collector, close } = await setup(fake);
  try {
    fake.resetCounts();
    for (let i = 0; i < 50; i++) await collector.collect();
    assert.equal(fake.requests.length, 0);
  } finally {
    await close();
  }
});

test('throttling is retried after the Retry-After delay and counted as throttled', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(5);
  const { collector, close } = await setup(fake);
  try {
    fake.script('DescribeInstances', { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.', headers: { 'Retry-After': '1' } });
    fake.script('GetMetricData', { status: 400, code: 'ThrottlingException', message: 'Rate exceeded', headers: { 'Retry-After': '1' } });
    let t = Date.now();
    await collector.ec2.runOnce();
    assert.ok(Date.now() - t >= 900, 'waited for Retry-After');
    t = Date.now();
    await collector.cloudwatch!.runOnce();
    assert.ok(Date.now() - t >= 900, 'waited for Retry-After');
    assert.equal(collector.cost.requests.get(['ec2', 'DescribeInstances', 'throttled']), 1);
    assert.equal(collector.cost.requests.get(['cloudwatch', 'GetMetricData', 'throttled']), 1);
    assert.equal(collector.cost.requests.get(['ec2', 'DescribeInstances', 'success']), 2);
    await collector.collect(); // up: the retries succeeded
  } finally {
    await close();
  }
});

test('a 5xx answer, even with an HTML body, is retried', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(5);
  const { collector, close } = await setup(fake);
  try {
    fake.script('DescribeInstanceStatus', { status: 503, body: '<html><body>Service Unavailable</body></html>' });
    fake.script('GetMetricData', { status: 500, code: 'InternalServiceError', message: 'Internal error' });
    await collector.ec2.runOnce();
    await collector.cloudwatch!.runOnce();
    assert.equal(collector.cost.requests.get(['ec2', 'DescribeInstanceStatus', 'error']), 1);
    assert.equal(collector.cost.requests.get(['cloudwatch', 'GetMetricData', 'error']), 1);
    const { families } = await collector.collect();
    assert.equal(value(families, 'fleet_ec2_instances', 'us-east-1', 'running'), 5);
  } finally {
    await close();
  }
});

test('a call that hangs times out and is retried without waiting for it', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(5);
  const { collector, close } = await setup(fake, { timeout_seconds: 0.3 });
  try {
    fake.script('DescribeInstances', { delayMs: 3000 });
    const t = Date.now();
    await collector.ec2.runOnce();
    assert.ok(Date.now() - t < 2500);
    assert.equal(collector.cost.requests.get(['ec2', 'DescribeInstances', 'timeout']), 1);
    await collector.collect();
  } finally {
    await close();
  }
});

test('malformed XML fails the refresh: the previous result is kept, the collector is down, then recovers', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(5);
  const { collector, close } = await setup(fake);
  try {
    const before = collector.ec2.lastSuccessSeconds();
    fake.script('DescribeInstances', { status: 200, body: '<DescribeInstancesResponse><reservationSet><item><instancesSet>' });
    fake.script('GetMetricData', { status: 200, body: '<GetMetricDataResponse><GetMetricDataResult><MetricDataResults><member><Id>q0</Id' });
    await collector.ec2.runOnce();
    await collector.cloudwatch!.runOnce();
    const err = await collectError(collector);
    assert.match(err.message, /^ec2: .*; cloudwatch: /);
    assert.equal(value(err.families, 'fleet_ec2_instances', 'us-east-1', 'running'), 5, 'previous result still served');
    assert.equal(samples(err.families, 'fleet_ec2_cpu_utilization_ratio').length, 5);
    assert.equal(collector.ec2.lastSuccessSeconds(), before);
    await collector.ec2.runOnce();
    await collector.cloudwatch!.runOnce();
    await collector.collect();
  } finally {
    await close();
  }
});

test('rejected credentials are not retried; after max staleness the data is dropped, cost counters stay', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(5);
  const { collector, close } = await setup(fake, { max_staleness_seconds: 0.5 });
  try {
    fake.script('DescribeInstances', { status: 401, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' });
    fake.script('GetMetricData', { status: 403, code: 'ExpiredToken', message: 'The security token included in the request is expired' });
    await collector.ec2.runOnce();
    await collector.cloudwatch!.runOnce();
    assert.equal(collector.cost.requests.get(['ec2', 'DescribeInstances', 'unauthorized']), 1, 'no retry');
    assert.equal(collector.cost.requests.get(['cloudwatch', 'GetMetricData', 'unauthorized']), 1, 'no retry');
    await new Promise((r) => setTimeout(r, 600));
    const err = await collectError(collector);
    assert.match(err.message, /^ec2: AuthFailure: AWS was not able to validate the provided access credentials; cloudwatch: ExpiredToken: /);
    assert.equal(samples(err.families, 'fleet_ec2_instances').length, 0, 'stale data dropped');
    assert.ok(samples(err.families, 'fleet_aws_requests_total').length > 0);
  } finally {
    await close();
  }
});

test('tag, state and id filters choose which instances are discovered', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(40, { stoppedEvery: 4 });
  const { collector, close } = await setup(fake, { filters: { tags: { team: ['ml'] }, states: ['running'] } });
  try {
    const { families } = await collector.collect();
    const expected = fake.instances
      .filter((i) => i.tags.team === 'ml' && i.state === 'running')
      .map((i) => i.id)
      .sort();
    assert.deepEqual(
      samples(families, 'fleet_ec2_instance_state')
        .map((s) => s.labelValues[0])
        .sort(),
      expected,
    );
  } finally {
    await close();
  }
  const fake2 = new FakeAws();
  fake2.instances = syntheticFleet(10);
  const ids = [fake2.instances[2]!.id, fake2.instances[7]!.id];
  const second = await setup(fake2, { filters: { instance_ids: ids } });
  try {
    const { families } = await second.collector.collect();
    assert.deepEqual(
      samples(families, 'fleet_ec2_instance_state')
        .map((s) => s.labelValues[0])
        .sort(),
      ids.sort(),
    );
    assert.equal(fake2.requests.find((r) => r.action === 'DescribeInstances')!.params.has('MaxResults'), false);
  } finally {
    await second.close();
  }
});

test("AWS's documented response examples become instance info, status checks and utilization", async () => {
  const fake = new FakeAws();
  const endpointT1 = Date.now() - 900_000;
  fake.script('DescribeInstances', { body: fixture('describe-instances.xml') });
  fake.script('DescribeInstanceStatus', { body: fixture('describe-instance-status.xml') });
  const iso = (ms: number) => new Date(Math.floor(ms / 300_000) * 300_000).toISOString();
  fake.script('GetMetricData', {
    body: fixture('get-metric-data.xml')
      .replace('{{T1}}', iso(endpointT1))
      .replace('{{T0}}', iso(endpointT1 - 300_000)),
  });
  const { collector, close } = await setup(fake, { cloudwatch: { memory: false } });
  try {
    const { families } = await collector.collect();
    const info = samples(families, 'fleet_ec2_instance_info');
    assert.deepEqual(info.map((s) => s.labelValues).sort(), [
      ['i-0598c7d356eba48d7', 'c5.large', 'eu-west-1a', '', 'us-east-1'],
      ['i-1234567890abcdef0', 't2.micro', 'eu-west-1c', 'Server_1', 'us-east-1'],
    ]);
    assert.equal(value(families, 'fleet_ec2_instance_status_check_ok', 'i-1234567890abcdef0', 'system'), 0);
    assert.equal(value(families, 'fleet_ec2_instance_status_check_ok', 'i-1234567890abcdef0', 'instance'), 1);
    assert.equal(value(families, 'fleet_ec2_instance_status_check_ok', 'i-1234567890abcdef0', 'ebs'), 1);
    assert.equal(value(families, 'fleet_ec2_instance_status_check_ok', 'i-0598c7d356eba48d7', 'system'), undefined, 'not-applicable');
    assert.equal(value(families, 'fleet_ec2_cpu_utilization_ratio', 'i-1234567890abcdef0'), 0.425, 'newest datapoint, as a ratio');
    assert.equal(fake.count('GetMetricData'), 1);
  } finally {
    await close();
  }
});

test('each configured region is discovered with its own clients and counted apart', async () => {
  const fake = new FakeAws();
  fake.instances = [
    ...syntheticFleet(3, { prefix: '0b' }).map((i) => ({ ...i, region: 'us-east-1' })),
    ...syntheticFleet(2, { prefix: '0c' }).map((i) => ({ ...i, region: 'eu-west-1' })),
  ];
  const { collector, close } = await setup(fake, { regions: ['us-east-1', 'eu-west-1'] });
  try {
    const { families } = await collector.collect();
    assert.equal(value(families, 'fleet_ec2_instances', 'us-east-1', 'running'), 3);
    assert.equal(value(families, 'fleet_ec2_instances', 'eu-west-1', 'running'), 2);
    assert.equal(samples(families, 'fleet_ec2_cpu_utilization_ratio').length, 5);
    assert.equal(fake.count('GetMetricData'), 2, 'one call per region');
  } finally {
    await close();
  }
});

test('per-instance series beyond max_instance_series are dropped, counted, and not queried', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(250);
  const { collector, close } = await setup(fake, { max_instance_series: 100, cloudwatch: { memory: false } });
  try {
    const { families, droppedSeries } = await collector.collect();
    assert.equal(droppedSeries, 150);
    assert.equal(value(families, 'fleet_ec2_instances', 'us-east-1', 'running'), 250);
    assert.equal(samples(families, 'fleet_ec2_instance_info').length, 100);
    assert.equal(collector.cost.metricsRequested.get(), 100);
  } finally {
    await close();
  }
});
