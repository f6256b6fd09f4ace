import { z } from 'zod';

export const awsSchema = z.strictObject({
  regions: z.array(z.string().min(1)).min(1),
  endpoint: z.string().url().optional(),
  refresh_seconds: z.number().positive().default(60),
  cloudwatch_refresh_seconds: z.number().positive().default(300),
  timeout_seconds: z.number().positive().default(10),
  max_staleness_seconds: z.number().positive().default(900),
  max_instance_series: z.number().int().nonnegative().default(2000),
});

export type AwsConfig = z.infer<typeof awsSchema>;
