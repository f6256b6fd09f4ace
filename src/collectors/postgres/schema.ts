import { z } from 'zod';

export const sqlMetricSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a valid Prometheus metric name'),
  help: z.string().min(1),
  type: z.enum(['gauge', 'counter']).default('gauge'),
  query: z.string().min(1),
  labels: z.array(z.string().min(1)).default([]),
  values: z.array(z.string().min(1)).min(1),
  timeout_seconds: z.number().positive().default(2),
  min_interval_seconds: z.number().nonnegative().default(0),
});

export const postgresSchema = z.strictObject({
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://'),
  password: z.string().optional().describe('Overrides the URL password; prefer password_file.'),
  pool_size: z.number().int().positive().default(2),
  timeout_seconds: z.number().positive().default(4),
  presets: z.array(z.enum(['shepherd', 'tasks', 'operations', 'sandbox_events'])).default([]),
  preset_options: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  metrics: z.array(sqlMetricSchema).default([]),
});

export type PostgresConfig = z.infer<typeof postgresSchema>;
export type SqlMetricConfig = z.infer<typeof sqlMetricSchema>;
