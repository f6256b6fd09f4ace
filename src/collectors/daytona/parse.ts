import { z } from 'zod';

/**
 * Daytona's API models (SandboxListItem / Sandbox) as this exporter reads
 * them: field names as the API spells them, lenient on what it does not need,
 * so one odd sandbox or a new field never fails a whole refresh.
 */
const optionalString = z.string().optional().catch(undefined);
const optionalNumber = z.number().finite().optional().catch(undefined);
const quantity = z.number().finite().nonnegative().catch(0);

const apiSandboxSchema = z.looseObject({
  id: z.string().min(1),
  name: optionalString,
  state: z.unknown(),
  desiredState: optionalString,
  target: optionalString,
  snapshot: z.string().nullish().catch(undefined),
  cpu: quantity,
  gpu: quantity,
  /** GiB */
  memory: quantity,
  /** GiB */
  disk: quantity,
  labels: z.record(z.string(), z.unknown()).nullish().catch(undefined),
  createdAt: optionalString,
  lastActivityAt: optionalString,
  errorReason: z.string().nullish().catch(undefined),
  recoverable: z.boolean().optional().catch(undefined),
  /** minutes; 0 = disabled */
  autoStopInterval: optionalNumber,
});

export const GIB = 1024 ** 3;

export interface Sandbox {
  id: string;
  name: string;
  state: string;
  desiredState?: string;
  target: string;
  snapshot?: string;
  cpu: number;
  gpu: number;
  memoryBytes: number;
  diskBytes: number;
  labels: Record<string, string>;
  createdAtMs?: number;
  lastActivityAtMs?: number;
  errorReason?: string;
  recoverable?: boolean;
  autoStopMinutes?: number;
}

export interface SandboxPage {
  sandboxes: Sandbox[];
  /** Absent on the last page, and always for the older plain-array response. */
  nextCursor?: string;
  /** Items skipped because they lack an id (counted, never fatal). */
  invalid: number;
}

/**
 * State label value: Daytona's own string, as the API returns it (unknown
 * future states pass through). Only characters that would make an unwieldy
 * label are replaced, and a missing state reads as `unknown`.
 */
export function stateLabel(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') return 'unknown';
  return raw
    .trim()
    .slice(0, 64)
    .replace(/[^A-Za-z0-9_.:-]/g, '_');
}

function timeMs(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

function stringLabels(labels: Record<string, unknown> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!labels) return out;
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function toSandbox(raw: unknown): Sandbox | undefined {
  const r = apiSandboxSchema.safeParse(raw);
  if (!r.success) return undefined;
  const s = r.data;
  return {
    id: s.id,
    name: s.name ?? '',
    state: stateLabel(s.state),
    desiredState: s.desiredState,
    target: s.target ?? '',
    snapshot: s.snapshot ?? undefined,
    cpu: s.cpu,
    gpu: s.gpu,
    memoryBytes: s.memory * GIB,
    diskBytes: s.disk * GIB,
    labels: stringLabels(s.labels),
    createdAtMs: timeMs(s.createdAt),
    lastActivityAtMs: timeMs(s.lastActivityAt),
    errorReason: s.errorReason || undefined,
    recoverable: s.recoverable,
    autoStopMinutes: s.autoStopInterval,
  };
}

/**
 * One response of GET /sandbox: `{ items, nextCursor }` (cursor pagination,
 * Daytona ≥ 0.180) or the older plain array of sandboxes. Throws on
 * malformed JSON or any other shape.
 */
export function parseSandboxPage(body: string): SandboxPage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error(`malformed JSON in the sandbox list (${body.length} bytes)`);
  }
  let items: unknown[];
  let nextCursor: string | undefined;
  if (Array.isArray(json)) {
    items = json;
  } else if (json && typeof json === 'object' && Array.isArray((json as { items?: unknown }).items)) {
    items = (json as { items: unknown[] }).items;
    const c = (json as { nextCursor?: unknown }).nextCursor;
    nextCursor = typeof c === 'string' && c !== '' ? c : undefined;
  } else {
    throw new Error('unexpected sandbox list shape: neither { items, nextCursor } nor an array');
  }
  const sandboxes: Sandbox[] = [];
  let invalid = 0;
  for (const item of items) {
    const s = toSandbox(item);
    if (s) sandboxes.push(s);
    else invalid++;
  }
  return { sandboxes, nextCursor, invalid };
}
