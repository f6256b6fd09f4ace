import { z } from 'zod';
import { redisSchema } from '../collectors/redis/schema.js';
import { postgresSchema } from '../collectors/postgres/schema.js';
import { daytonaSchema } from '../collectors/daytona/schema.js';
import { awsSchema } from '../collectors/aws/schema.js';
import { shardingSchema } from '../shard.js';

/** The default port, chosen in the exporter range and documented in the README. */
export const DEFAULT_PORT = 9849;
export const DEFAULT_LISTEN = `0.0.0.0:${DEFAULT_PORT}`;

export const listenSchema = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, 'must be HOST:PORT');

/**
 * The whole configuration file. Every source is optional; each collector's
 * own schema lives beside it in src/collectors/<name>/schema.ts.
 */
export const configSchema = z.strictObject({
  listen: listenSchema.optional().describe(`HOST:PORT to serve on (default ${DEFAULT_LISTEN}).`),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  scrape_timeout_seconds: z
    .number()
    .positive()
    .default(10)
    .describe('Upper bound for one scrape when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds.'),
  redis: redisSchema.optional(),
  postgres: postgresSchema.optional(),
  daytona: daytonaSchema.optional(),
  aws: awsSchema.optional(),
  sharding: shardingSchema,
});

export type Config = z.infer<typeof configSchema>;
