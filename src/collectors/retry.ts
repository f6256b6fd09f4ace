/**
 * A small HTTP retry helper for paid or rate-limited JSON APIs (Daytona, and
 * any future plain-HTTP source). Every attempt has its own timeout; throttling
 * (429), 5xx, timeouts and network errors are retried with exponential backoff
 * and full jitter, and a `Retry-After` from the server wins over the backoff.
 */

/** How one HTTP attempt ended (what to retry); exported as the coarser `outcome` label of outcome.ts. */
export type Outcome = 'success' | 'throttled' | 'server_error' | 'unauthorized' | 'client_error' | 'timeout' | 'network_error' | 'invalid_response';

export interface RetryPolicy {
  /** Tries per call, the first included. */
  maxAttempts: number;
  /** First backoff step; doubles per retry, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After we wait for; a longer one fails the call at once (the next refresh tries again). */
  maxRetryAfterMs: number;
  /** Budget of each attempt, headers and body included. */
  timeoutMs: number;
}

export interface RetryHooks {
  /** Called once per attempt: the request counter hangs here. */
  onAttempt?: (outcome: Outcome, status?: number) => void;
  /** Called before sleeping for a retry. */
  onRetry?: (info: { attempt: number; outcome: Outcome; status?: number; delayMs: number }) => void;
  /** [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

/** A failed call, with the outcome of its last attempt. Messages carry no headers, hence no credentials. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly outcome: Outcome,
    readonly status?: number,
  ) {
    super(message);
  }
}

const RETRYABLE: ReadonlySet<Outcome> = new Set(['throttled', 'server_error', 'timeout', 'network_error']);

export function classify(status: number): Outcome {
  if (status >= 200 && status < 300) return 'success';
  if (status === 429) return 'throttled';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  if (status === 401 || status === 403) return 'unauthorized';
  return 'client_error';
}

/** Retry-After as milliseconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Full-jitter exponential backoff (the AWS architecture blog's recommendation). */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A short, single-line excerpt of an error body, for error messages (redacted by the caller's logger). */
function excerpt(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

interface Attempt {
  outcome: Outcome;
  status?: number;
  body?: string;
  retryAfterMs?: number;
  error?: string;
}

async function attempt(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Attempt> {
  const perCall = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, perCall]) : perCall;
  try {
    const res = await fetch(url, { ...init, signal: combined });
    // The body is read inside the same deadline: a server that stalls mid-body is a timeout too.
    const body = await res.text();
    return { outcome: classify(res.status), status: res.status, body, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) };
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err; // the caller gave up: no retry, no outcome
    if (perCall.aborted) return { outcome: 'timeout', error: `timed out after ${timeoutMs} ms` };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { outcome: 'network_error', error: cause?.code ?? cause?.message ?? (err as Error).message };
  }
}

/**
 * GETs (or whatever `init` says) `url` until it answers 2xx, a non-retryable
 * status, or attempts run out. Resolves to `parse` of the 2xx body; rejects
 * with HttpError (a body `parse` rejects is outcome `invalid_response`).
 * `signal` aborts everything, sleeps included (a refresh's own deadline).
 */
export async function fetchWithRetry<T>(
  url: string,
  init: RequestInit,
  policy: RetryPolicy,
  parse: (body: string) => T,
  hooks: RetryHooks & { signal?: AbortSignal } = {},
): Promise<T> {
  const random = hooks.random ?? Math.random;
  for (let n = 1; ; n++) {
    const a = await attempt(url, init, policy.timeoutMs, hooks.signal);
    if (a.outcome === 'success') {
      let parsed: T;
      try {
        parsed = parse(a.body ?? '');
      } catch (err) {
        // Not retried: a server that answers garbage once will most likely do it again, and each call costs.
        hooks.onAttempt?.('invalid_response', a.status);
        throw new HttpError((err as Error).message, 'invalid_response', a.status);
      }
      hooks.onAttempt?.('success', a.status);
      return parsed;
    }
    hooks.onAttempt?.(a.outcome, a.status);
    const what = a.status !== undefined ? `HTTP ${a.status}${a.body ? `: ${excerpt(a.body)}` : ''}` : a.error!;
    if (!RETRYABLE.has(a.outcome) || n >= policy.maxAttempts) {
      throw new HttpError(`${what}${n > 1 ? ` (after ${n} attempts)` : ''}`, a.outcome, a.status);
    }
    let delayMs = backoffMs(n - 1, policy, random);
    if (a.retryAfterMs !== undefined) {
      if (a.retryAfterMs > policy.maxRetryAfterMs) {
        throw new HttpError(`${what} (Retry-After ${a.retryAfterMs / 1000}s exceeds the ${policy.maxRetryAfterMs / 1000}s we wait)`, a.outcome, a.status);
      }
      // The server's word wins; a little jitter on top keeps replicas from retrying in lockstep.
      delayMs = a.retryAfterMs + Math.floor(random() * policy.baseDelayMs);
    }
    hooks.onRetry?.({ attempt: n, outcome: a.outcome, status: a.status, delayMs });
    await sleep(delayMs, hooks.signal);
  }
}
