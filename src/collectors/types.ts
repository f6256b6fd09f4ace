import type { Logger } from '../log.js';
import type { MetricFamily } from '../metrics/family.js';

export interface CollectContext {
  /** Aborted when the collector's time budget for this scrape runs out. */
  signal: AbortSignal;
  /** When that budget runs out (Date.now() milliseconds): work that cannot finish by then should not start. */
  deadlineMs: number;
  log: Logger;
}

export interface CollectResult {
  families: MetricFamily[];
  /** Per-entity series left out because of a configured cap (fleet_series_dropped_total). */
  droppedSeries?: number;
}

/**
 * One source of metrics. A collector only returns or throws: the scrape
 * engine times it, caches it and owns the fleet_collector_* health metrics.
 */
export interface Collector {
  /** Label value of `collector`, config key and folder name. */
  readonly name: string;
  /** Time budget for one collection (capped by the scrape's own timeout). */
  readonly timeoutSeconds: number;
  /** Results younger than this are served from cache (0 = collect on every scrape). */
  readonly minIntervalSeconds: number;
  /** Starts background work (discovery, API refresh loops). Must not throw for an unreachable source. */
  start(log: Logger): void;
  collect(ctx: CollectContext): Promise<CollectResult>;
  /**
   * For collectors that refresh in the background: when their data was last
   * fetched successfully, in unix seconds. Scrape-time collectors omit it.
   */
  lastSuccessSeconds?(): number | undefined;
  /**
   * What to export when a collection fails without saying more (it timed
   * out, or a scrape's deadline came first): the source's own `up 0`.
   */
  downFamilies?(): MetricFamily[];
  /**
   * For collectors that refresh in the background: whether the first refresh
   * has finished, successfully or not (readiness). Scrape-time collectors omit it.
   */
  answered?(): boolean;
  close(): Promise<void>;
}

/** A failure that still has something to export (e.g. `fleet_redis_up 0`). */
export class CollectError extends Error {
  constructor(
    message: string,
    readonly families: MetricFamily[],
    /** The source did not answer in time: no definite answer yet, so the exporter is not ready on it. */
    readonly timedOut = false,
  ) {
    super(message);
  }
}
