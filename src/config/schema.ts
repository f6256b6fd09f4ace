import { z } from 'zod';
import { SOURCE_NAMES, sourceSchemas } from '../collectors/index.js';
import { queryTimeouts } from '../collectors/postgres/schema.js';
import { remediateSchema } from '../remediate/schema.js';
import { shardingSchema } from '../shard.js';

/** The default port, chosen in the exporter range and documented in the README. */
export const DEFAULT_PORT = 9849;
export const DEFAULT_LISTEN = `0.0.0.0:${DEFAULT_PORT}`;

export const listenSchema = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, 'must be HOST:PORT');

/**
 * The whole configuration file. Every source is optional, but one at least
 * is needed; each collector's own schema lives beside it in
 * src/collectors/<name>/schema.ts, listed in the registry (src/collectors/index.ts).
 */
export const configSchema = z
  .strictObject({
    listen: listenSchema.optional().describe(`HOST:PORT to serve on (default ${DEFAULT_LISTEN}).`),
    log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    scrape_timeout_seconds: z.number().positive().default(10).describe('Upper bound for one scrape when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds.'),
    ...sourceSchemas,
    remediate: remediateSchema.optional(),
    sharding: shardingSchema,
  })
  .superRefine((c, ctx) => {
    if (!SOURCE_NAMES.some((s) => c[s] !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `no source configured: add at least one of ${SOURCE_NAMES.join(', ')} (without one the exporter would only ever serve its own metrics)`,
      });
    }
    // The scrape's own timeout caps every collection; postgres's schema checks its own budget.
    for (const q of c.postgres ? queryTimeouts(c.postgres) : []) {
      if (q.seconds >= c.scrape_timeout_seconds && q.seconds < c.postgres!.timeout_seconds) {
        ctx.addIssue({
          code: 'custom',
          path: ['postgres', ...q.path],
          message: `must be below scrape_timeout_seconds (${c.scrape_timeout_seconds} s), which caps every collection, or the query can never finish: raise scrape_timeout_seconds or lower this timeout`,
        });
      }
    }
  });

export type Config = z.infer<typeof configSchema>;
