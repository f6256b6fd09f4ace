import type { Logger } from '../log.js';
import type { MetricFamily } from '../metrics/family.js';
import { errorMessage } from '../redact.js';
import { CollectError } from './types.js';

/**
 * Keeps the last good result of a paid or rate-limited API, refreshed on its
 * own interval and never on scrape: Prometheus scraping every 5 s, or two
 * Prometheus replicas, add no API call. Refreshes never overlap.
 */
export class BackgroundRefresher {
  private timer?: NodeJS.Timeout;
  private running = false;
  private controller?: AbortController;
  private families?: MetricFamily[];
  private successAtMs?: number;
  private lastError?: string;
  /** Refreshes started; tests assert API cost with it. */
  refreshes = 0;

  constructor(
    private readonly opts: {
      intervalSeconds: number;
      maxStalenessSeconds: number;
      /** Fetches everything and returns the families to serve until the next refresh. */
      refresh: (signal: AbortSignal) => Promise<MetricFamily[]>;
      /** Called after each successful refresh (e.g. to chain a dependent refresh at once). */
      onSuccess?: () => void;
    },
  ) {}

  start(log: Logger): void {
    const tick = () => void this.runOnce(log);
    tick();
    this.timer = setInterval(tick, this.opts.intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.controller?.abort();
  }

  /** One refresh, unless one is already running (then it is skipped and logged). */
  async runOnce(log?: Logger): Promise<void> {
    if (this.running) {
      log?.warn('previous refresh still running; skipping this one');
      return;
    }
    this.running = true;
    this.refreshes++;
    this.controller = new AbortController();
    try {
      this.families = await this.opts.refresh(this.controller.signal);
      this.successAtMs = Date.now();
      if (this.lastError) log?.info('refresh succeeded again');
      this.lastError = undefined;
      this.opts.onSuccess?.();
    } catch (err) {
      const msg = errorMessage(err);
      if (msg !== this.lastError) log?.warn({ error: msg }, 'refresh failed; serving the previous result');
      this.lastError = msg;
    } finally {
      this.running = false;
    }
  }

  /** The first refresh has finished, successfully or not. */
  settled(): boolean {
    return this.successAtMs !== undefined || this.lastError !== undefined;
  }

  lastSuccessSeconds(): number | undefined {
    return this.successAtMs === undefined ? undefined : this.successAtMs / 1000;
  }

  /**
   * The families to serve now. Throws (so fleet_collector_up is 0) when the last
   * refresh failed or none succeeded yet; the previous result is still served
   * until it is older than maxStalenessSeconds, then dropped rather than shown as current.
   */
  current(): MetricFamily[] {
    const fresh = this.successAtMs !== undefined && Date.now() - this.successAtMs <= this.opts.maxStalenessSeconds * 1000;
    const families = fresh ? (this.families ?? []) : [];
    if (this.lastError) throw new CollectError(this.lastError, families);
    if (this.successAtMs === undefined) throw new CollectError('no successful refresh yet', []);
    // A refresh that hangs (no error yet) must not leave the collector "up" with nothing to show.
    if (!fresh) throw new CollectError(`no successful refresh for over ${this.opts.maxStalenessSeconds}s`, []);
    return families;
  }
}
