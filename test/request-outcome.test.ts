import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiCost, outcomeOf } from '../src/collectors/aws/client.js';
import { DaytonaCollector } from '../src/collectors/daytona/index.js';
import { daytonaSchema } from '../src/collectors/daytona/schema.js';
import { fromHttpOutcome, REQUEST_OUTCOMES } from '../src/collectors/outcome.js';
import { classify } from '../src/collectors/retry.js';

const outcomesOf = (family: { labelNames: readonly string[]; samples: Array<{ labelValues: readonly string[] }> }) => {
  const i = family.labelNames.indexOf('outcome');
  return [...new Set(family.samples.map((s) => s.labelValues[i]))].sort();
};

test('fleet_aws_requests_total and fleet_daytona_requests_total use the same outcome values, all listed in HELP', () => {
  const aws = new ApiCost().requests.family();
  const daytona = new DaytonaCollector(daytonaSchema.parse({ api_url: 'http://127.0.0.1:1/api', api_key: 'k-outcome-test' })).requests.family();
  assert.deepEqual(outcomesOf(aws), [...REQUEST_OUTCOMES].sort());
  assert.deepEqual(outcomesOf(daytona), [...REQUEST_OUTCOMES].sort());
  for (const f of [aws, daytona]) assert.match(f.help, /outcome: success, throttled, unauthorized, timeout, error/);
});

test('an AWS error maps onto the shared outcomes by its code or HTTP status', () => {
  const err = (name: string, httpStatusCode?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
  assert.equal(outcomeOf(err('RequestLimitExceeded', 503)), 'throttled');
  assert.equal(outcomeOf(err('Whatever', 429)), 'throttled');
  assert.equal(outcomeOf(err('AuthFailure', 401)), 'unauthorized');
  assert.equal(outcomeOf(err('UnauthorizedOperation', 403)), 'unauthorized');
  assert.equal(outcomeOf(err('TimeoutError')), 'timeout');
  assert.equal(outcomeOf(err('InternalError', 500)), 'error');
  assert.equal(outcomeOf(err('InvalidParameterValue', 400)), 'error');
});

test("a Daytona HTTP status maps onto the same outcomes (the retry helper's finer classes become error)", () => {
  const label = (status: number) => fromHttpOutcome(classify(status));
  assert.deepEqual([200, 429, 401, 403, 408, 500, 503, 404].map(label), ['success', 'throttled', 'unauthorized', 'unauthorized', 'timeout', 'error', 'error', 'error']);
  assert.equal(fromHttpOutcome('network_error'), 'error');
  assert.equal(fromHttpOutcome('invalid_response'), 'error');
});
