import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the Daytona API that speaks its wire protocol for
 * GET /api/sandbox (plus GET /api/sandbox/{id} and POST /api/sandbox/{id}/stop): Bearer auth, X-Daytona-Organization-ID, `limit` validated
 * as the real API does (1..200, else 400), opaque `cursor`, `{ items, nextCursor }`
 * (or the older plain array). Tests inject faults per request with `onRequest`.
 */

export const MAX_LIMIT = 200;

export interface RecordedRequest {
  /** 0-based, in arrival order. */
  index: number;
  method: string;
  path: string;
  limit: string | null;
  cursor: string | null;
  authorization?: string;
  organization?: string;
  atMs: number;
}

export type Fault = { status: number; retryAfter?: string; body?: string } | { stallMs: number } | { malformed: true };

export interface FakeOptions {
  apiKey: string;
  organizationId?: string;
  sandboxes?: object[];
  /** Answer with the pre-0.180 plain array (no pagination). */
  legacyArray?: boolean;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
function decodeCursor(c: string): number | undefined {
  try {
    const o = (JSON.parse(Buffer.from(c, 'base64url').toString()) as { o?: unknown }).o;
    return typeof o === 'number' && Number.isInteger(o) && o >= 0 ? o : undefined;
  } catch {
    return undefined;
  }
}

export class FakeDaytona {
  readonly requests: RecordedRequest[] = [];
  /** Ids of the sandboxes stopped through POST /sandbox/{id}/stop, in order. */
  readonly stopped: string[] = [];
  sandboxes: object[];
  legacyArray: boolean;
  /** Return a fault to answer this request with it instead of the real response. */
  onRequest?: (r: RecordedRequest) => Fault | undefined;
  private server!: Server;
  private timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly opts: FakeOptions) {
    this.sandboxes = opts.sandboxes ?? [];
    this.legacyArray = opts.legacyArray ?? false;
  }

  static async start(opts: FakeOptions): Promise<FakeDaytona> {
    const fake = new FakeDaytona(opts);
    fake.server = createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The api_url to configure: http://127.0.0.1:PORT/api */
  get apiUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api`;
  }

  /** Requests for the sandbox list (what the API would bill or rate-limit). */
  get listCalls(): number {
    return this.requests.filter((r) => r.path === '/api/sandbox').length;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const rec: RecordedRequest = {
      index: this.requests.length,
      method: req.method ?? 'GET',
      path: url.pathname,
      limit: url.searchParams.get('limit'),
      cursor: url.searchParams.get('cursor'),
      authorization: req.headers.authorization,
      organization: req.headers['x-daytona-organization-id'] as string | undefined,
      atMs: Date.now(),
    };
    this.requests.push(rec);

    const fault = this.onRequest?.(rec);
    if (fault && 'stallMs' in fault) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.answer(rec, res);
      }, fault.stallMs);
      this.timers.add(t);
      return;
    }
    if (fault && 'malformed' in fault) return json(res, 200, '{"items": [{"id": "sb-1", "state": "sta');
    if (fault) return json(res, fault.status, fault.body ?? { statusCode: fault.status, message: 'injected fault' }, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    this.answer(rec, res);
  }

  private answer(rec: RecordedRequest, res: ServerResponse): void {
    const one = /^\/api\/sandbox\/([^/]+)(\/stop)?$/.exec(rec.path);
    const routed = one ? rec.method === (one[2] ? 'POST' : 'GET') : rec.method === 'GET' && rec.path === '/api/sandbox';
    if (!routed) return json(res, 404, { statusCode: 404, message: `Cannot ${rec.method} ${rec.path}` });
    if (rec.authorization !== `Bearer ${this.opts.apiKey}`) {
      return json(res, 401, { statusCode: 401, message: 'Unauthorized', error: `invalid credentials: ${rec.authorization ?? ''}` });
    }
    if (this.opts.organizationId && rec.organization !== this.opts.organizationId) {
      return json(res, 403, { statusCode: 403, message: 'Forbidden: not a member of this organization' });
    }
    if (one) return this.answerOne(decodeURIComponent(one[1]!), one[2] !== undefined, res);
    if (this.legacyArray) return json(res, 200, this.sandboxes);

    const limit = rec.limit === null ? 100 : Number(rec.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return json(res, 400, { statusCode: 400, message: [`limit must not be greater than ${MAX_LIMIT}`], error: 'Bad Request' });
    }
    const offset = rec.cursor === null ? 0 : decodeCursor(rec.cursor);
    if (offset === undefined) return json(res, 400, { statusCode: 400, message: 'Invalid cursor', error: 'Bad Request' });
    const items = this.sandboxes.slice(offset, offset + limit);
    const next = offset + limit < this.sandboxes.length ? encodeCursor(offset + limit) : null;
    json(res, 200, { items, nextCursor: next });
  }

  /** GET /sandbox/{idOrName}, and POST /sandbox/{idOrName}/stop, which only a started sandbox accepts. */
  private answerOne(idOrName: string, stop: boolean, res: ServerResponse): void {
    const s = this.sandboxes.find((x) => (x as { id?: string }).id === idOrName || (x as { name?: string }).name === idOrName) as Record<string, unknown> | undefined;
    if (!s) return json(res, 404, { statusCode: 404, message: `Sandbox with ID or name ${idOrName} not found`, error: 'Not Found' });
    if (!stop) return json(res, 200, s);
    if (s.state !== 'started') return json(res, 400, { statusCode: 400, message: 'Sandbox is not started', error: 'Bad Request' });
    Object.assign(s, { state: 'stopped', desiredState: 'stopped', updatedAt: new Date().toISOString() });
    this.stopped.push(String(s.id));
    json(res, 200, s);
  }
}

const STATES = ['started', 'started', 'started', 'stopped', 'archived', 'error', 'build_failed', 'creating'];

/**
 * Deterministic sandboxes shaped like Daytona's SandboxListItem. Sandbox i is
 * in STATES[i % 8] (or `state`), created i minutes before `nowMs`, idle i seconds.
 */
export function makeSandboxes(n: number, opts: { nowMs?: number; state?: string; target?: string } = {}): object[] {
  const now = opts.nowMs ?? Date.now();
  const out: object[] = [];
  for (let i = 0; i < n; i++) {
    const state = opts.state ?? STATES[i % STATES.length]!;
    out.push({
      id: `sb-${String(i).padStart(6, '0')}`,
      organizationId: 'org-fleet',
      name: `worker-${i}`,
      target: opts.target ?? (i % 2 === 0 ? 'us' : 'eu'),
      runnerId: `runner-${i % 7}`,
      state,
      desiredState: state === 'error' ? 'started' : state,
      snapshot: 'daytonaio/sandbox:0.4.3',
      user: 'daytona',
      errorReason: state === 'error' ? 'runner unreachable' : state === 'build_failed' ? 'snapshot build failed' : undefined,
      recoverable: state === 'error' ? true : undefined,
      public: false,
      cpu: 1 + (i % 4),
      gpu: 0,
      memory: 1 + (i % 8),
      disk: 3 + (i % 5),
      labels: { 'task-id': `task-${i}`, worker_id: `w-${i % 50}`, 'daytona.io/public': 'false' },
      backupState: 'None',
      autoStopInterval: i % 10 === 0 ? 0 : 15,
      autoArchiveInterval: 10080,
      autoDeleteInterval: -1,
      createdAt: new Date(now - i * 60_000).toISOString(),
      updatedAt: new Date(now - i * 30_000).toISOString(),
      lastActivityAt: new Date(now - i * 1000).toISOString(),
      daemonVersion: '0.4.3',
      toolboxProxyUrl: 'https://proxy.app.daytona.io/toolbox',
    });
  }
  return out;
}
