import { z } from 'zod';
import { urlSchema } from '../../config/url.js';

/** Daytona's documented maximum `limit` of GET /sandbox (its PageLimit decorator: 1..200); larger pages are rejected with 400. */
export const MAX_PAGE_SIZE = 200;

/** Labels the per-sandbox info series already has; a mapped Daytona label may not take one of these names. */
export const RESERVED_LABELS = ['sandbox_id', 'name', 'state', 'target', 'desired_state', 'snapshot', 'recoverable'] as const;

const promLabelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)')
  .refine((n) => !n.startsWith('__'), 'names starting with __ are reserved by Prometheus')
  .refine((n) => !(RESERVED_LABELS as readonly string[]).includes(n), `must not be one of ${RESERVED_LABELS.join(', ')}`);

const perHour = z.number().nonnegative().default(0);

const pricingSchema = z
  .strictObject({
    cpu_hour: perHour.describe('Price of one vCPU for one hour.'),
    memory_gib_hour: perHour.describe('Price of one GiB of memory for one hour.'),
    disk_gib_hour: perHour.describe('Price of one GiB of disk for one hour.'),
    gpu_hour: perHour.describe('Price of one GPU for one hour.'),
    compute_states: z.array(z.string().min(1)).default(['started']).describe('States in which cpu, memory and gpu are billed.'),
    disk_states: z
      .array(z.string().min(1))
      .default(['started', 'starting', 'stopping', 'stopped', 'error'])
      .describe('States in which disk is billed (archived sandboxes live in object storage).'),
  })
  .describe('Optional list prices; enables fleet_daytona_estimated_cost_per_hour{state}.');

export const daytonaSchema = z
  .strictObject({
    api_url: urlSchema({ schemes: ['http:', 'https:'], requireHost: true }).describe('Daytona API base, e.g. https://app.daytona.io/api (GET {api_url}/sandbox).'),
    api_key: z.string().min(1).describe('Bearer token; prefer api_key_file.'),
    organization_id: z.string().optional().describe('Sent as X-Daytona-Organization-ID.'),
    refresh_seconds: z.number().positive().default(30).describe('Background refresh interval; scrapes never call the API.'),
    timeout_seconds: z.number().positive().default(10).describe('Budget of each HTTP call (one page).'),
    refresh_timeout_seconds: z.number().positive().default(120).describe('Budget of one whole refresh, all pages and retries included.'),
    max_staleness_seconds: z.number().positive().default(300).describe('After this long without a successful refresh the last result is dropped, not served as current.'),
    max_sandbox_series: z.number().int().nonnegative().default(5000).describe('Cap on sandboxes with per-sandbox series.'),
    page_size: z.number().int().min(1).max(MAX_PAGE_SIZE).default(MAX_PAGE_SIZE).describe('Sandboxes per page (limit).'),
    max_attempts: z.number().int().min(1).max(10).default(4).describe('Tries per page on throttling, 5xx and timeouts.'),
    max_retry_after_seconds: z.number().nonnegative().default(30).describe('Longest Retry-After honoured within a refresh; a longer one fails the refresh.'),
    auth_failure_backoff_seconds: z
      .number()
      .nonnegative()
      .default(300)
      .describe('After the API rejects the key (401/403), skip refreshes this long: Daytona also throttles failed authentications per IP.'),
    labels: z.record(z.string().min(1), promLabelName).default({}).describe('Allow-list: Daytona sandbox label → Prometheus label on fleet_daytona_sandbox_info.'),
    pricing: pricingSchema.optional(),
  })
  .refine((d) => new Set(Object.values(d.labels)).size === Object.values(d.labels).length, {
    message: 'two Daytona labels map to the same Prometheus label',
    path: ['labels'],
  });

export type DaytonaConfig = z.infer<typeof daytonaSchema>;
export type DaytonaPricing = z.infer<typeof pricingSchema>;
