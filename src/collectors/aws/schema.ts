import { z } from 'zod';
import { urlSchema } from '../../config/url.js';

/** EC2's own instance state names (the `state` label). */
export const EC2_STATES = ['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped'] as const;
export type Ec2State = (typeof EC2_STATES)[number];

/** Instance attributes a CloudWatch dimension can be filled from (CWAgent's append_dimensions). */
export const INSTANCE_DIMENSIONS = ['InstanceId', 'ImageId', 'InstanceType', 'AutoScalingGroupName'] as const;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export const cloudwatchMetricSchema = z.strictObject({
  name: z.string().regex(METRIC_NAME, 'must be a Prometheus metric name').describe('Exported metric name, e.g. fleet_ec2_network_in_bytes.'),
  help: z.string().optional(),
  namespace: z.string().min(1).describe('CloudWatch namespace, e.g. AWS/EC2 or CWAgent.'),
  metric_name: z.string().min(1).describe('CloudWatch metric name, e.g. NetworkIn.'),
  stat: z.string().min(1).default('Average').describe('CloudWatch statistic: Average, Maximum, Sum, p99, ...'),
  scale: z.number().default(1).describe('Multiplier applied to each value (0.01 turns a percentage into a ratio).'),
  dimensions: z
    .array(z.enum(INSTANCE_DIMENSIONS))
    .min(1)
    .default(['InstanceId'])
    .describe('Dimensions of the metric, filled from each instance; must match what the publisher sends exactly.'),
});

export type CloudWatchMetricConfig = z.infer<typeof cloudwatchMetricSchema>;

const cloudwatchSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Query CloudWatch at all (EC2 discovery and status checks run regardless).'),
    period_seconds: z.number().int().positive().multipleOf(60).default(300).describe('Datapoint period: 300 for basic monitoring, 60 for detailed.'),
    delay_seconds: z
      .number()
      .int()
      .nonnegative()
      .default(600)
      .describe('The query window ends this long ago, so the datapoints asked for are complete (CloudWatch ingests with a delay).'),
    lookback_periods: z.number().int().positive().max(100).default(3).describe('Periods per window: the latest complete one is exported.'),
    memory: z.boolean().default(true).describe('Query CWAgent mem_used_percent (exported when the agent publishes it).'),
    memory_dimensions: z
      .array(z.enum(INSTANCE_DIMENSIONS))
      .min(1)
      .default(['InstanceId'])
      .describe('Dimensions the CloudWatch agent attaches to mem_used_percent (its append_dimensions).'),
    extra_metrics: z.array(cloudwatchMetricSchema).default([]).describe('More per-instance metrics, one MetricStat query each.'),
    concurrency: z.number().int().positive().max(20).default(4).describe('GetMetricData calls in flight per region.'),
  })
  .prefault({});

export const awsSchema = z.strictObject({
  regions: z.array(z.string().min(1)).min(1),
  endpoint: urlSchema({ schemes: ['http:', 'https:'], requireHost: true })
    .optional()
    .describe('Endpoint override for both EC2 and CloudWatch (tests, LocalStack).'),
  refresh_seconds: z.number().positive().default(60).describe('EC2 discovery and status checks interval.'),
  cloudwatch_refresh_seconds: z.number().positive().default(300).describe('CloudWatch GetMetricData interval.'),
  timeout_seconds: z.number().positive().default(10).describe('Timeout of each API call (each attempt).'),
  max_attempts: z.number().int().positive().max(10).default(4).describe('Attempts per API call; throttling and 5xx are retried with backoff and jitter.'),
  max_staleness_seconds: z.number().positive().default(900).describe('Data older than this is dropped rather than shown as current.'),
  max_instance_series: z.number().int().nonnegative().default(2000).describe('Cap on instances with per-instance series (and CloudWatch queries).'),
  filters: z
    .strictObject({
      tags: z
        .record(z.string(), z.array(z.string().min(1)).min(1))
        .default({})
        .describe('Tag key → accepted values (EC2 filter tag:KEY).'),
      instance_ids: z.array(z.string().regex(/^i-[0-9a-f]+$/, 'must be an instance id')).default([]),
      states: z.array(z.enum(EC2_STATES)).default([]).describe('Instance states to discover (default: all).'),
    })
    .prefault({}),
  cloudwatch: cloudwatchSchema,
});

export type AwsConfig = z.infer<typeof awsSchema>;
export type CloudWatchConfig = AwsConfig['cloudwatch'];
