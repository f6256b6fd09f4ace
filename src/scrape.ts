import { CollectError, type Collector } from './collectors/types.js';
import type { Logger } from './log.js';
import { CounterVec, Snapshot, type MetricFamily } from './metrics/family.js';
import { errorMessage } from './redact.js';
import { metric } from './metrics/names.js';

export interface CollectorStatus {
  name: string;
  up: boolean;
  durationSeconds: number;
  lastSuccessSeconds?: number;
  lastError?: string;
}

interface CollectorState {
  collector: Collector;
  status: CollectorStatus;
  cached?: MetricFamily[];
  cachedAt: number;
  /** A collection that outlived its timeout is not started again until it settles. */
  running?: Promise<unknown>;
  everRan: boolean;
  /** False while the current round's collection has not settled. */
  settled: boolean;
  /** Gave a definite answer at least once: data, or a failure other than running out of time. */
  answered: boolean;
}

export interface ScrapeResult {
  families: MetricFamily[];
  statuses: CollectorStatus[];
}

const errorsTotal = () => new CounterVec(metric.fleet_collector_errors_total, 'Failed collections per collector.', ['collector']);
const droppedTotal = () =>
  new CounterVec(
    metric.fleet_series_dropped_total,
    'Entities (consumers, sandboxes, instances) whose series a configured cap left out, counted per collection or background refresh.',
    ['collector'],
  );

class TimeoutError extends Error {}

/**
 * Runs every collector concurrently, each within its own time budget, and
 * adds the fleet_collector_* self-metrics (node_exporter's execute()).
 * Concurrent scrapes share one in-flight collection (single-flight).
 */
export class ScrapeEngine {
  private readonly states: CollectorState[];
  private inFlight?: Promise<ScrapeResult>;
  private readonly errors = errorsTotal();
  private readonly dropped = droppedTotal();
  private isReady = false;
  /** Number of collections actually run (not served from single-flight); used by tests. */
  collections = 0;

  constructor(
    collectors: Collector[],
    private readonly log: Logger,
    private readonly defaultTimeoutSeconds: number,
  ) {
    this.states = collectors.map((collector) => ({
      collector,
      status: { name: collector.name, up: false, durationSeconds: 0 },
      cachedAt: 0,
      everRan: false,
      settled: true,
      answered: false,
    }));
    for (const s of this.states) {
      this.errors.touch([s.collector.name]);
      this.dropped.touch([s.collector.name]);
    }
  }

  start(): void {
    for (const s of this.states) s.collector.start(this.log.child({ collector: s.collector.name }));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.states.map((s) => s.collector.close()));
  }

  /**
   * Collectors still waiting for their first definite answer (a background
   * collector: its first refresh, success or failure). A timeout is not an
   * answer: a source that hangs at start keeps the exporter not ready.
   */
  pendingCollectors(): string[] {
    return this.states.filter((s) => !(s.collector.answered?.() ?? s.answered)).map((s) => s.collector.name);
  }

  /** Ready once every collector has answered; it stays ready (later failures show as fleet_collector_up 0). */
  ready(): boolean {
    this.isReady ||= this.pendingCollectors().length === 0;
    return this.isReady;
  }

  /**
   * @param timeoutSeconds the scrape's own budget (Prometheus's header, minus a margin).
   * A scrape that joins a collection started with a longer budget (a status
   * page load, another Prometheus) still answers by its own deadline: with
   * what has settled, and the sources still being read as down.
   */
  scrape(timeoutSeconds = this.defaultTimeoutSeconds): Promise<ScrapeResult> {
    if (!this.inFlight) {
      this.inFlight = this.collectAll(timeoutSeconds).finally(() => {
        this.inFlight = undefined;
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<ScrapeResult>((resolve) => {
      timer = setTimeout(() => resolve(this.result(true)), timeoutSeconds * 1000);
    });
    return Promise.race([this.inFlight, deadline]).finally(() => clearTimeout(timer));
  }

  private async collectAll(timeoutSeconds: number): Promise<ScrapeResult> {
    this.collections++;
    await Promise.all(this.states.map((s) => this.collectOne(s, timeoutSeconds)));
    return this.result(false);
  }

  /** The current results; `atDeadline`: collections not settled yet count as failed. */
  private result(atDeadline: boolean): ScrapeResult {
    const families: MetricFamily[] = [];
    const statuses: CollectorStatus[] = [];
    for (const s of this.states) {
      if (atDeadline && !s.settled) {
        families.push(...(s.collector.downFamilies?.() ?? []));
        statuses.push({ ...s.status, up: false, lastError: "still collecting at this scrape's deadline" });
      } else {
        if (s.cached) families.push(...s.cached);
        statuses.push({ ...s.status });
      }
    }
    families.push(...this.selfMetrics(statuses));
    return { families, statuses };
  }

  private async collectOne(state: CollectorState, scrapeTimeout: number): Promise<void> {
    const { collector } = state;
    const now = Date.now();
    if (state.everRan && collector.minIntervalSeconds > 0 && now - state.cachedAt < collector.minIntervalSeconds * 1000) {
      return; // fresh enough: serve the cached result
    }
    const timeout = Math.min(collector.timeoutSeconds, scrapeTimeout);
    const started = performance.now();
    state.settled = false;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const busy = state.running !== undefined;
    try {
      if (state.running) throw new Error('previous collection is still running');
      const log = this.log.child({ collector: collector.name });
      const work = collector.collect({ signal: controller.signal, deadlineMs: now + timeout * 1000, log });
      state.running = work;
      work.then(
        () => (state.running = undefined),
        () => (state.running = undefined),
      );
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          controller.abort();
          reject(new TimeoutError(`timed out after ${timeout}s`));
        }, timeout * 1000);
      });
      const result = await Promise.race([work, deadline]);
      state.cached = result.families;
      state.cachedAt = now;
      if (result.droppedSeries) this.dropped.inc([collector.name], result.droppedSeries);
      state.answered = true;
      this.setUp(state, true);
      state.status.lastSuccessSeconds = collector.lastSuccessSeconds?.() ?? Date.now() / 1000;
    } catch (err) {
      this.errors.inc([collector.name]);
      if (!timedOut && !busy && !(err instanceof CollectError && err.timedOut)) state.answered = true;
      // A collector may still have something to show (a background
      // collector's last good result); a timeout still says the source is down.
      state.cached = err instanceof CollectError ? err.families : collector.downFamilies?.();
      if (collector.lastSuccessSeconds) state.status.lastSuccessSeconds = collector.lastSuccessSeconds();
      this.setUp(state, false, errorMessage(err));
    } finally {
      clearTimeout(timer);
      state.everRan = true;
      state.settled = true;
      state.status.durationSeconds = (performance.now() - started) / 1000;
    }
  }

  /** Logs only on a change of state, never once per scrape. */
  private setUp(state: CollectorState, up: boolean, error?: string): void {
    const changed = state.status.up !== up || !state.everRan;
    state.status.up = up;
    if (up) state.status.lastError = undefined;
    else state.status.lastError = error;
    if (!changed) return;
    if (up) this.log.info({ collector: state.collector.name }, 'collector is up');
    else this.log.warn({ collector: state.collector.name, error }, 'collector failed');
  }

  private selfMetrics(statuses: readonly CollectorStatus[]): MetricFamily[] {
    const snap = new Snapshot();
    const up = snap.gauge(metric.fleet_collector_up, 'Whether the last collection of this collector succeeded (1) or failed (0).', ['collector']);
    const duration = snap.gauge(metric.fleet_collector_duration_seconds, 'Time the last collection took.', ['collector']);
    const last = snap.gauge(
      metric.fleet_collector_last_success_timestamp_seconds,
      'Unix time of the last successful collection (for background collectors: of the last successful API refresh).',
      ['collector'],
    );
    for (const status of statuses) {
      up.set(status.up ? 1 : 0, status.name);
      duration.set(status.durationSeconds, status.name);
      if (status.lastSuccessSeconds !== undefined) last.set(status.lastSuccessSeconds, status.name);
    }
    return [...snap.families(), this.errors.family(), this.dropped.family()];
  }
}
