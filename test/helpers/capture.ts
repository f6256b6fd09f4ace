import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './net.js';

/** A JSON body of one of several APIs, asserted field by field by the tests. */
type Body = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One POST the capture server received. */
export interface CapturedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Raw body text. */
  text: string;
  /** Parsed JSON body (undefined when the body is not JSON). */
  json: Body;
  atMs: number;
}

/**
 * A local stand-in for notification webhooks (Slack incoming webhooks,
 * PagerDuty Events API v2): records every request and answers the way the
 * real services do for a success — Slack `200 ok`, PagerDuty `202` with a
 * JSON status — so Alertmanager counts the notification as delivered.
 */
export class CaptureServer {
  readonly requests: CapturedRequest[] = [];
  private server!: Server;

  static async start(): Promise<CaptureServer> {
    const c = new CaptureServer();
    c.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const path = new URL(req.url ?? '/', 'http://capture').pathname;
        c.requests.push({ method: req.method ?? '', path, headers: req.headers, text, json, atMs: Date.now() });
        if (path.startsWith('/v2/enqueue')) {
          const dedup = (json as { dedup_key?: string } | undefined)?.dedup_key;
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: dedup }));
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        }
      });
    });
    await new Promise<void>((resolve) => c.server.listen(0, '127.0.0.1', resolve));
    return c;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests to a path (prefix match). */
  on(pathPrefix: string): CapturedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix));
  }

  /**
   * Waits for the first request on pathPrefix whose JSON body satisfies `match`
   * (considering only requests from index `since` of `requests` on), and returns it.
   */
  async waitFor(pathPrefix: string, match: (body: Body) => boolean, timeoutMs: number, what = pathPrefix, since = 0): Promise<CapturedRequest> {
    let found: CapturedRequest | undefined;
    try {
      await waitFor(
        () => {
          found = this.requests.slice(since).find((r) => {
            if (!r.path.startsWith(pathPrefix)) return false;
            try {
              return r.json !== undefined && match(r.json);
            } catch {
              return false;
            }
          });
          return found !== undefined;
        },
        timeoutMs,
        100,
      );
    } catch {
      const seen = this.requests.map((r) => `${r.method} ${r.path} ${r.text.slice(0, 400)}`).join('\n');
      throw new Error(`no ${what} within ${timeoutMs} ms; captured so far:\n${seen || '(nothing)'}`);
    }
    return found!;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
