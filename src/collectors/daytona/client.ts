import { fetchWithRetry, type Outcome, type RetryPolicy } from '../retry.js';
import { VERSION } from '../../version.js';
import { parseSandboxPage, type Sandbox } from './parse.js';
import type { DaytonaConfig } from './schema.js';

export interface SandboxList {
  sandboxes: Sandbox[];
  pages: number;
  invalid: number;
}

export interface ListHooks {
  signal: AbortSignal;
  /** Every HTTP attempt, retries included: the API-cost counter. */
  onAttempt: (outcome: Outcome) => void;
  onRetry?: (info: { page: number; outcome: Outcome; status?: number; delayMs: number }) => void;
  random?: () => number;
}

export function retryPolicy(cfg: DaytonaConfig): RetryPolicy {
  return {
    maxAttempts: cfg.max_attempts,
    baseDelayMs: 500,
    maxDelayMs: 10_000,
    maxRetryAfterMs: cfg.max_retry_after_seconds * 1000,
    timeoutMs: cfg.timeout_seconds * 1000,
  };
}

/**
 * Every sandbox of the organization: GET {api_url}/sandbox, following
 * `nextCursor` until it is absent. A throttled or failed page is retried
 * (same cursor) inside fetchWithRetry, so a refresh never restarts from page 1.
 */
export async function listSandboxes(cfg: DaytonaConfig, hooks: ListHooks): Promise<SandboxList> {
  const endpoint = `${cfg.api_url.replace(/\/+$/, '')}/sandbox`;
  const headers: Record<string, string> = {
    Authorization: `Bearer ${cfg.api_key}`,
    Accept: 'application/json',
    'User-Agent': `fleet-exporter/${VERSION}`,
  };
  if (cfg.organization_id) headers['X-Daytona-Organization-ID'] = cfg.organization_id;
  const policy = retryPolicy(cfg);

  const sandboxes: Sandbox[] = [];
  const seenIds = new Set<string>();
  const seenCursors = new Set<string>();
  let invalid = 0;
  let pages = 0;
  let cursor: string | undefined;
  do {
    const url = new URL(endpoint);
    url.searchParams.set('limit', String(cfg.page_size));
    if (cursor) url.searchParams.set('cursor', cursor);
    const page = await fetchWithRetry(url.toString(), { headers }, policy, parseSandboxPage, {
      signal: hooks.signal,
      random: hooks.random,
      onAttempt: hooks.onAttempt,
      onRetry: (r) => hooks.onRetry?.({ page: pages + 1, outcome: r.outcome, status: r.status, delayMs: r.delayMs }),
    });
    pages++;
    // A sandbox seen twice (listing while the fleet changes) would become duplicate series.
    for (const s of page.sandboxes) {
      if (seenIds.has(s.id)) continue;
      seenIds.add(s.id);
      sandboxes.push(s);
    }
    invalid += page.invalid;
    cursor = page.nextCursor;
    // A server that hands back a cursor it already gave would page forever (and bill every page).
    if (cursor !== undefined) {
      if (seenCursors.has(cursor)) throw new Error(`sandbox list cursor repeats after ${pages} pages`);
      seenCursors.add(cursor);
    }
  } while (cursor !== undefined);
  return { sandboxes, pages, invalid };
}
