import type { Logger } from '../../log.js';
import { CounterVec, Snapshot, type MetricFamily } from '../../metrics/family.js';
import { registerSecret } from '../../redact.js';
import { BackgroundRefresher } from '../background.js';
import { fromHttpOutcome, REQUEST_OUTCOMES, REQUEST_OUTCOMES_HELP } from '../outcome.js';
import { HttpError } from '../retry.js';
import { CollectError, type Collector, type CollectResult } from '../types.js';
import { listSandboxes } from './client.js';
import { buildDaytonaMetrics } from './metrics.js';
import type { DaytonaConfig } from './schema.js';
import { metric } from '../../metrics/names.js';

const OPERATION = 'list_sandboxes';

/**
 * Daytona sandboxes, listed in the background every refresh_seconds (never
 * on scrape: the API is rate-limited and may be billed). A scrape serves the
 * last good list; see BackgroundRefresher for failure and staleness rules.
 */
export class DaytonaCollector implements Collector {
  readonly name = 'daytona';
  /** collect() only reads memory. */
  readonly timeoutSeconds = 5;
  readonly minIntervalSeconds = 0;
  /** Every HTTP call to Daytona, retries included: API cost is this counter's rate. */
  readonly requests = new CounterVec(metric.fleet_daytona_requests_total, `HTTP requests made to the Daytona API, retries included, by operation and ${REQUEST_OUTCOMES_HELP}.`, [
    'operation',
    'outcome',
  ]);
  readonly refresher: BackgroundRefresher;
  private log?: Logger;
  /** Series dropped by the cap, reported once per refresh rather than once per scrape. */
  private pendingDropped = 0;
  /** The last rejection of the API key, replayed (same message: logged once) until the backoff ends. */
  private rejected?: { atMs: number; error: Error };

  constructor(
    private readonly cfg: DaytonaConfig,
    private readonly opts: { random?: () => number } = {},
  ) {
    // Also when built without the config loader (tests, embedding): the key must never reach a log or an error.
    registerSecret(cfg.api_key);
    for (const outcome of REQUEST_OUTCOMES) this.requests.touch([OPERATION, outcome]);
    this.refresher = new BackgroundRefresher({
      intervalSeconds: cfg.refresh_seconds,
      maxStalenessSeconds: cfg.max_staleness_seconds,
      refresh: (signal) => this.refresh(signal),
    });
  }

  start(log: Logger): void {
    this.log = log;
    this.refresher.start(log);
  }

  async close(): Promise<void> {
    this.refresher.stop();
  }

  lastSuccessSeconds(): number | undefined {
    return this.refresher.lastSuccessSeconds();
  }

  answered(): boolean {
    return this.refresher.settled();
  }

  async collect(): Promise<CollectResult> {
    // The request counter is shown in every case: a failing API still costs calls.
    try {
      const families = [...this.refresher.current(), this.requests.family()];
      const droppedSeries = this.pendingDropped;
      this.pendingDropped = 0;
      return { families, droppedSeries };
    } catch (err) {
      if (err instanceof CollectError) throw new CollectError(err.message, [...err.families, this.requests.family()]);
      throw err;
    }
  }

  private async refresh(signal: AbortSignal): Promise<MetricFamily[]> {
    // A rejected key stays rejected until someone fixes it; retrying every refresh only risks an IP lockout.
    if (this.rejected && Date.now() - this.rejected.atMs < this.cfg.auth_failure_backoff_seconds * 1000) throw this.rejected.error;
    this.rejected = undefined;
    const started = performance.now();
    // A refresh has its own deadline, so a stalled API cannot hold the (non-overlapping) refresh slot for ever.
    const deadline = AbortSignal.timeout(this.cfg.refresh_timeout_seconds * 1000);
    let list;
    try {
      list = await listSandboxes(this.cfg, {
        signal: AbortSignal.any([signal, deadline]),
        random: this.opts.random,
        onAttempt: (outcome) => this.requests.inc([OPERATION, fromHttpOutcome(outcome)]),
        onRetry: (r) => this.log?.debug(r, 'retrying Daytona sandbox list page'),
      });
    } catch (err) {
      if (err instanceof HttpError && err.outcome === 'unauthorized') {
        const error = new Error(`Daytona rejected the API key: ${err.message}; next try in ${this.cfg.auth_failure_backoff_seconds}s`);
        this.rejected = { atMs: Date.now(), error };
        throw error;
      }
      if (deadline.aborted && !signal.aborted) {
        throw new Error(`refresh took longer than refresh_timeout_seconds (${this.cfg.refresh_timeout_seconds}s)`);
      }
      throw err;
    }
    const { families, dropped } = buildDaytonaMetrics(list.sandboxes, {
      nowMs: Date.now(),
      labelMap: this.cfg.labels,
      maxSandboxSeries: this.cfg.max_sandbox_series,
      pricing: this.cfg.pricing,
    });
    this.pendingDropped += dropped;

    const snap = new Snapshot();
    snap.gauge(metric.fleet_daytona_refresh_duration_seconds, 'Time the last successful Daytona refresh took (all pages).').set((performance.now() - started) / 1000);
    snap.gauge(metric.fleet_daytona_refresh_pages, 'Pages the last successful Daytona refresh fetched.').set(list.pages);
    snap.gauge(metric.fleet_daytona_sandboxes_listed, 'Sandboxes in the last successful Daytona refresh (before the per-sandbox cap).').set(list.sandboxes.length);
    snap.gauge(metric.fleet_daytona_invalid_sandboxes, 'Sandbox list items skipped in the last refresh because they had no id.').set(list.invalid);
    return [...families, ...snap.families()];
  }
}
