import { listSandboxes, retryPolicy } from '../collectors/daytona/client.js';
import { toSandbox, type Sandbox } from '../collectors/daytona/parse.js';
import type { DaytonaConfig } from '../collectors/daytona/schema.js';
import { globToRegExp } from './glob.js';
import { fetchWithRetry, HttpError } from '../collectors/retry.js';
import { VERSION } from '../version.js';
import type { Action } from './action.js';
import type { RemediateConfig } from './schema.js';

/** Whether a sandbox is started, idle long enough, and labelled as the allow-list requires (pure). */
export function idleVerdict(s: Sandbox, nowMs: number, idleMs: number, allow: ReadonlyMap<string, RegExp>): string | undefined {
  if (allow.size === 0) return 'no sandbox_labels allow-list';
  if (s.state !== 'started') return `the sandbox is ${s.state}`;
  if (s.lastActivityAtMs === undefined) return 'the sandbox reports no lastActivityAt';
  const idle = nowMs - s.lastActivityAtMs;
  if (idle < idleMs) return `the sandbox was active ${Math.round(idle / 1000)}s ago`;
  for (const [label, re] of allow) if (!re.test(s.labels[label] ?? '')) return `label ${label} does not match the allow-list`;
  return undefined;
}

/**
 * stop_idle_sandboxes: started sandboxes idle ≥ sandbox_idle_seconds whose
 * labels match every entry of `sandbox_labels`. Before each stop the sandbox
 * is read again (GET /sandbox/{id}); POST /sandbox/{id}/stop is not retried.
 */
export class SandboxStopper {
  private readonly api: DaytonaConfig;
  private readonly allow: Map<string, RegExp>;
  private readonly idleMs: number;

  constructor(daytona: DaytonaConfig, cfg: RemediateConfig) {
    this.api = { ...daytona, api_key: cfg.daytona?.api_key ?? daytona.api_key };
    this.allow = new Map(Object.entries(cfg.sandbox_labels).map(([k, glob]) => [k, globToRegExp(glob)]));
    this.idleMs = cfg.sandbox_idle_seconds * 1000;
  }

  /** Every stoppable sandbox (the list is in memory anyway: --max-actions cuts it). */
  async plan(signal: AbortSignal): Promise<Action[]> {
    if (this.allow.size === 0) return [];
    const { sandboxes } = await listSandboxes(this.api, { signal, onAttempt: () => undefined });
    const now = Date.now();
    return sandboxes
      .filter((s) => idleVerdict(s, now, this.idleMs, this.allow) === undefined)
      .map((s) => ({
        action: 'stop_idle_sandboxes',
        stream: null,
        group: null,
        consumer: null,
        ids: [s.id],
        reason: `started, idle ${Math.round((now - s.lastActivityAtMs!) / 1000)}s ≥ ${this.idleMs / 1000}s, labels match the allow-list`,
        applied: false,
        skipped: null,
        params: { idleMs: this.idleMs },
      }));
  }

  private request(path: string, method: string, signal: AbortSignal) {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.api.api_key}`, Accept: 'application/json', 'User-Agent': `fleet-exporter/${VERSION}` };
    if (this.api.organization_id) headers['X-Daytona-Organization-ID'] = this.api.organization_id;
    const url = `${this.api.api_url.replace(/\/+$/, '')}/sandbox/${encodeURIComponent(path)}`;
    return { url, init: { method, headers, signal } };
  }

  async apply(a: Action, signal: AbortSignal): Promise<void> {
    const id = a.ids[0]!;
    const get = this.request(id, 'GET', signal);
    let current;
    try {
      current = await fetchWithRetry(get.url, get.init, retryPolicy(this.api), (body) => toSandbox(JSON.parse(body)), { signal });
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) return void (a.skipped = 'the sandbox is gone');
      throw err;
    }
    if (!current) throw new Error(`GET /sandbox/${id}: not a sandbox`);
    const why = idleVerdict(current, Date.now(), (a.params as { idleMs: number }).idleMs, this.allow);
    if (why) return void (a.skipped = why);
    const stop = this.request(id, 'POST', signal);
    await fetchWithRetry(`${stop.url}/stop`, stop.init, { ...retryPolicy(this.api), maxAttempts: 1 }, () => undefined, { signal });
    a.applied = true;
  }
}
