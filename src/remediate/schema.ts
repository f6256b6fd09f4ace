import { z } from 'zod';

/** Every action `fleet-exporter remediate` knows, in the order it runs them. */
export const ACTIONS = ['dead_letter', 'requeue', 'delete_consumer', 'trim', 'reap_callbacks', 'stop_idle_sandboxes'] as const;
export type ActionName = (typeof ACTIONS)[number];

/** Per-stream thresholds: the keys a `streams:` override may set. */
const thresholds = {
  phantom_idle_seconds: z
    .number()
    .positive()
    .describe(
      'delete_consumer: a phantom consumer (no heartbeat, no shutdown marker, 0 pending) must be idle this long (XINFO CONSUMERS `idle`, the time since its last read attempt).',
    ),
  stranded_idle_seconds: z.number().positive().describe('requeue: an entry pending on a consumer without heartbeat must be idle this long.'),
  max_deliveries: z.number().int().min(2).describe('dead_letter: entries delivered at least this many times are dead-lettered.'),
  dead_letter_key: z
    .string()
    .min(1)
    .refine((k) => k.includes('{stream}'), 'must contain {stream}')
    .describe('dead_letter: the stream dead entries are copied to; {stream} is the source stream.'),
};

const streamOverride = z.strictObject({
  phantom_idle_seconds: thresholds.phantom_idle_seconds.optional(),
  stranded_idle_seconds: thresholds.stranded_idle_seconds.optional(),
  max_deliveries: thresholds.max_deliveries.optional(),
  dead_letter_key: thresholds.dead_letter_key.optional(),
  actions: z
    .array(z.enum(['delete_consumer', 'requeue', 'dead_letter', 'trim']))
    .optional()
    .describe('Stream actions allowed on these streams (default: all enabled ones).'),
});

/**
 * `remediate:` — what `fleet-exporter remediate` may change, with which
 * thresholds and (optionally) its own credentials: the exporter's are read-only.
 */
export const remediateSchema = z
  .strictObject({
    actions: z
      .strictObject(Object.fromEntries(ACTIONS.map((a) => [a, z.boolean().default(true)])) as Record<ActionName, z.ZodDefault<z.ZodBoolean>>)
      .prefault({})
      .describe('Switch actions off (all are on; --only narrows further).'),
    phantom_idle_seconds: thresholds.phantom_idle_seconds.default(3600),
    stranded_idle_seconds: thresholds.stranded_idle_seconds.default(300),
    max_deliveries: thresholds.max_deliveries.default(5),
    dead_letter_key: thresholds.dead_letter_key.default('{stream}:dead'),
    streams: z
      .record(z.string().min(1), streamOverride)
      .default({})
      .describe(
        'Per-stream overrides, keyed by glob (as SCAN MATCH); the first matching glob, in file order, wins. Each may set phantom_idle_seconds, stranded_idle_seconds, max_deliveries, dead_letter_key and actions (a list of the stream actions allowed there).',
      ),
    batch_size: z.number().int().min(1).max(1000).default(100).describe('Entries per XPENDING page and per write; callback rows per transaction.'),
    pending_scan_limit: z.number().int().positive().default(10_000).describe('Pending entries read per group when planning (oldest first); the rest waits for the next run.'),
    max_actions: z.number().int().positive().default(1000).describe('Planned actions per run (--max-actions overrides).'),
    reap_statuses: z.array(z.string().min(1)).min(1).default(['COMPLETED']).describe('reap_callbacks: query statuses whose callback rows are deleted.'),
    sandbox_idle_seconds: z.number().positive().default(3600).describe('stop_idle_sandboxes: started sandboxes idle (lastActivityAt) this long are stopped.'),
    sandbox_labels: z
      .record(z.string().min(1), z.string())
      .default({})
      .describe('stop_idle_sandboxes allow-list: label → glob; a sandbox is stopped only if every listed label matches. Empty: nothing is stopped.'),
    redis: z
      .strictObject({
        url: z
          .string()
          .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
          .optional(),
        username: z.string().optional(),
        password: z.string().optional().describe('Prefer password_file.'),
      })
      .optional()
      .describe("Credentials for remediation's writes (a user with the rights of deploy/redis-remediate.acl); overrides redis.url/username/password."),
    postgres: z
      .strictObject({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
          .optional(),
        password: z.string().optional().describe('Prefer password_file.'),
      })
      .optional()
      .describe('Credentials for reap_callbacks (sql/grant-remediate.sql); overrides postgres.url/password.'),
    daytona: z
      .strictObject({ api_key: z.string().min(1).optional().describe('Prefer api_key_file.') })
      .optional()
      .describe('An API key allowed to stop sandboxes; overrides daytona.api_key.'),
  })
  .describe('`fleet-exporter remediate` (docs/remediate.md): actions, thresholds, credentials.');

export type RemediateConfig = z.infer<typeof remediateSchema>;
export type StreamOverride = z.infer<typeof streamOverride>;
