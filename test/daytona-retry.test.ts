import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fetchWithRetry, HttpError, parseRetryAfter, type Outcome, type RetryPolicy } from '../src/collectors/retry.js';

/** A server that answers each request with the next scripted reply (then 200 "ok"). */
let server: Server;
let url = '';
let script: Array<{ status: number; retryAfter?: string; body?: string; stallMs?: number }> = [];
let arrivals: number[] = [];

before(async () => {
  server = createServer((_req, res) => {
    arrivals.push(Date.now());
    const r = script.shift() ?? { status: 200, body: '"ok"' };
    setTimeout(() => {
      res.writeHead(r.status, r.retryAfter ? { 'retry-after': r.retryAfter } : {});
      res.end(r.body ?? '{}');
    }, r.stallMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 5000, timeoutMs: 1500 };

async function run(p: RetryPolicy = policy, signal?: AbortSignal): Promise<{ value?: unknown; error?: HttpError; outcomes: Outcome[] }> {
  arrivals = [];
  const outcomes: Outcome[] = [];
  try {
    const value = await fetchWithRetry(url, {}, p, (b) => JSON.parse(b) as unknown, { signal, random: () => 0, onAttempt: (o) => outcomes.push(o) });
    return { value, outcomes };
  } catch (err) {
    return { error: err as HttpError, outcomes };
  }
}

describe('HTTP retry helper', () => {
  it('waits as long as Retry-After says before retrying a throttled call', async () => {
    script = [{ status: 429, retryAfter: '1' }];
    const r = await run();
    assert.equal(r.value, 'ok');
    assert.deepEqual(r.outcomes, ['throttled', 'success']);
    assert.ok(arrivals[1]! - arrivals[0]! >= 1000, `retried after ${arrivals[1]! - arrivals[0]!} ms`);
  });

  it('retries 5xx with backoff until it succeeds', async () => {
    script = [{ status: 503 }, { status: 502 }];
    const r = await run();
    assert.equal(r.value, 'ok');
    assert.deepEqual(r.outcomes, ['server_error', 'server_error', 'success']);
  });

  it('gives up after maxAttempts and reports the last status', async () => {
    script = [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }];
    const r = await run();
    assert.equal(r.error?.status, 500);
    assert.match(r.error!.message, /HTTP 500.*after 4 attempts/);
    assert.equal(r.outcomes.length, 4);
    script = [];
  });

  it('does not retry an invalid credential', async () => {
    script = [{ status: 401, body: '{"message":"Unauthorized"}' }];
    const r = await run();
    assert.equal(r.error?.outcome, 'unauthorized');
    assert.deepEqual(r.outcomes, ['unauthorized']);
  });

  it('times out each call on its own, and retries a timed-out call', async () => {
    script = [{ status: 200, stallMs: 4000, body: '"late"' }];
    const started = Date.now();
    const r = await run();
    assert.equal(r.value, 'ok');
    assert.deepEqual(r.outcomes, ['timeout', 'success']);
    const took = Date.now() - started;
    assert.ok(took >= 1500 && took < 3900, `the stalled call was abandoned at its 1.5 s timeout (took ${took} ms)`);
  });

  it('fails at once when Retry-After is longer than it is allowed to wait', async () => {
    script = [{ status: 429, retryAfter: '3600' }];
    const started = Date.now();
    const r = await run();
    assert.equal(r.error?.outcome, 'throttled');
    assert.match(r.error!.message, /Retry-After 3600s exceeds/);
    assert.ok(Date.now() - started < 500);
  });

  it('reports an unparseable 2xx body as invalid_response without retrying it', async () => {
    script = [{ status: 200, body: '{"items": [' }];
    const r = await run();
    assert.equal(r.error?.outcome, 'invalid_response');
    assert.deepEqual(r.outcomes, ['invalid_response']);
  });

  it('stops sleeping and retrying when the caller aborts', async () => {
    script = [{ status: 429, retryAfter: '2' }];
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('refresh deadline')), 200);
    const started = Date.now();
    const r = await run(policy, controller.signal);
    assert.match(String((r.error as Error | undefined)?.message), /refresh deadline/);
    assert.ok(Date.now() - started < 1000);
    script = [];
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('7'), 7000);
    const now = Date.parse('2025-06-01T12:00:00Z');
    assert.equal(parseRetryAfter('Sun, 01 Jun 2025 12:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
