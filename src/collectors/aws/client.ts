import { EC2Client } from '@aws-sdk/client-ec2';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CounterVec } from '../../metrics/family.js';
import { REQUEST_OUTCOMES, REQUEST_OUTCOMES_HELP, type RequestOutcome } from '../outcome.js';
import type { AwsConfig } from './schema.js';
import { metric } from '../../metrics/names.js';

export type Service = 'ec2' | 'cloudwatch';

/** Error codes AWS uses for throttling (the SDK's own list, plus HTTP 429). */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'EC2ThrottledException',
  'SlowDown',
]);

/** Error codes for rejected or insufficient credentials (EC2's and the SDK's, plus HTTP 401/403). */
const UNAUTHORIZED = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'AccessDenied',
  'AccessDeniedException',
  'CredentialsProviderError',
]);

/** One line naming AWS's error code: the SDK appends hints on further lines. */
export function describeAwsError(err: unknown): string {
  const e = err as { name?: string; message?: string } | undefined;
  const first = (e?.message ?? String(err)).split('\n')[0]!.trim();
  return e?.name && e.name !== 'Error' && !first.startsWith(e.name) ? `${e.name}: ${first}` : first;
}

export function outcomeOf(err: unknown): RequestOutcome {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  if (THROTTLING.has(e?.name ?? '') || status === 429) return 'throttled';
  if (UNAUTHORIZED.has(e?.name ?? '') || status === 401 || status === 403) return 'unauthorized';
  // The SDK's request timeout, a socket timeout, or HTTP 408/504 from the endpoint.
  if (e?.name === 'TimeoutError' || e?.code === 'ETIMEDOUT' || status === 408 || status === 504) return 'timeout';
  return 'error';
}

/**
 * API cost counters, kept for the life of the process: every attempt the SDK
 * makes (retries included) and every CloudWatch metric requested (the billed unit).
 */
export class ApiCost {
  readonly requests = new CounterVec(metric.fleet_aws_requests_total, `AWS API requests made, every attempt including retries; ${REQUEST_OUTCOMES_HELP}.`, [
    'service',
    'operation',
    'outcome',
  ]);
  readonly metricsRequested = new CounterVec(metric.fleet_cloudwatch_metrics_requested_total, 'CloudWatch metrics requested by successful GetMetricData calls (the billed unit).');

  constructor() {
    this.metricsRequested.touch();
    for (const [service, op] of [
      ['ec2', 'DescribeInstances'],
      ['ec2', 'DescribeInstanceStatus'],
      ['cloudwatch', 'GetMetricData'],
    ] as const) {
      for (const outcome of REQUEST_OUTCOMES) this.requests.touch([service, op, outcome]);
    }
  }
}

/** Minimal view of the SDK's middleware stack shared by both clients. */
interface Stack {
  add(mw: (next: (a: unknown) => Promise<unknown>, ctx: { commandName?: string }) => (a: unknown) => Promise<unknown>, opts: object): void;
}

/**
 * Counts each attempt. Added at the deserialize step, which the retry
 * middleware (finalizeRequest) wraps, so every retry passes through it once;
 * high priority puts it outside the deserializer, where errors carry AWS's code.
 */
function countRequests(stack: Stack, service: Service, cost: ApiCost): void {
  stack.add(
    (next, ctx) => async (args) => {
      const operation = (ctx.commandName ?? 'Unknown').replace(/Command$/, '');
      try {
        const out = await next(args);
        cost.requests.inc([service, operation, 'success']);
        if (operation === 'GetMetricData') {
          const input = (args as { input?: { MetricDataQueries?: unknown[] } }).input;
          cost.metricsRequested.inc([], input?.MetricDataQueries?.length ?? 0);
        }
        return out;
      } catch (err) {
        cost.requests.inc([service, operation, outcomeOf(err)]);
        throw err;
      }
    },
    { step: 'deserialize', priority: 'high', name: 'fleetCountRequests' },
  );
}

export interface RegionClients {
  region: string;
  ec2: EC2Client;
  cloudwatch: CloudWatchClient;
}

/**
 * EC2 and CloudWatch clients for one region. Credentials come from the SDK's
 * default chain (env, shared config/profile, web identity, instance role).
 * Each attempt has a timeout; throttling, 5xx and timeouts are retried by the
 * SDK's standard strategy (exponential backoff with full jitter, Retry-After honoured).
 */
export function createRegionClients(cfg: AwsConfig, region: string, cost: ApiCost): RegionClients {
  const timeoutMs = cfg.timeout_seconds * 1000;
  const common = {
    region,
    endpoint: cfg.endpoint,
    maxAttempts: cfg.max_attempts,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  };
  const ec2 = new EC2Client(common);
  const cloudwatch = new CloudWatchClient(common);
  countRequests(ec2.middlewareStack as unknown as Stack, 'ec2', cost);
  countRequests(cloudwatch.middlewareStack as unknown as Stack, 'cloudwatch', cost);
  return { region, ec2, cloudwatch };
}
