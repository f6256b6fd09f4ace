import type { Logger } from '../../log.js';
import { Snapshot, type MetricFamily } from '../../metrics/family.js';
import { errorMessage, registerSecret } from '../../redact.js';
import { BackgroundRefresher } from '../background.js';
import type { Collector, CollectResult } from '../types.js';
import { CollectError } from '../types.js';
import { AGE_FAMILY, buildCloudWatchFamilies, buildEc2Families, currentCloudWatchFamilies } from './metrics.js';
import { ApiCost, createRegionClients, describeAwsError, type RegionClients } from './client.js';
import { fetchMetricData } from './cloudwatch.js';
import { discoverRegion } from './discovery.js';
import { capInstances, type Instance } from './parse.js';
import { latestDatapoints, metricSpecs, planQueries, queryWindow, type MetricSpec } from './queries.js';
import type { AwsConfig } from './schema.js';
import { metric } from '../../metrics/names.js';

function rethrowReadable(err: unknown): never {
  throw new Error(describeAwsError(err));
}

/**
 * EC2 instances (state, status checks) and their CloudWatch metrics. Both
 * refresh in the background on their own intervals and scrapes serve the
 * last good result, so scrape frequency and Prometheus replicas cost no API
 * call. The first CloudWatch refresh follows the first discovery at once.
 */
export class AwsCollector implements Collector {
  readonly name = 'aws';
  readonly timeoutSeconds: number;
  readonly minIntervalSeconds = 0;
  readonly cost = new ApiCost();
  readonly ec2: BackgroundRefresher;
  readonly cloudwatch?: BackgroundRefresher;
  private clients: RegionClients[] = [];
  private readonly specs: MetricSpec[];
  /** Per-instance series kept under the cap, from the latest successful discovery. */
  private kept: Instance[] = [];
  private droppedSeries = 0;
  /** When each CloudWatch result was fetched: its ages are relative to that moment. */
  private readonly fetchedAt = new WeakMap<MetricFamily, number>();
  private log?: Logger;
  private cloudwatchStarted = false;

  constructor(private readonly cfg: AwsConfig) {
    // Serving from memory is instant; the API calls have their own timeouts.
    this.timeoutSeconds = Math.min(cfg.timeout_seconds, 5);
    this.specs = metricSpecs(cfg.cloudwatch);
    this.ec2 = new BackgroundRefresher({
      intervalSeconds: cfg.refresh_seconds,
      maxStalenessSeconds: cfg.max_staleness_seconds,
      refresh: (signal) => this.refreshEc2(signal).catch(rethrowReadable),
      onSuccess: () => this.startCloudWatch(),
    });
    if (cfg.cloudwatch.enabled) {
      this.cloudwatch = new BackgroundRefresher({
        intervalSeconds: cfg.cloudwatch_refresh_seconds,
        maxStalenessSeconds: cfg.max_staleness_seconds,
        refresh: (signal) => this.refreshCloudWatch(signal).catch(rethrowReadable),
      });
    }
  }

  start(log: Logger): void {
    this.log = log;
    // The SDK reads these itself; registering them keeps them out of any error text we log or serve.
    for (const v of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID']) registerSecret(process.env[v]);
    this.clients = this.cfg.regions.map((region) => createRegionClients(this.cfg, region, this.cost));
    this.ec2.start(log.child({ service: 'ec2' }));
  }

  /** Chained to the first successful discovery, not delayed by cloudwatch_refresh_seconds. */
  private startCloudWatch(): void {
    if (this.cloudwatchStarted || !this.cloudwatch || !this.log) return;
    this.cloudwatchStarted = true;
    this.cloudwatch.start(this.log.child({ service: 'cloudwatch' }));
  }

  async close(): Promise<void> {
    this.ec2.stop();
    this.cloudwatch?.stop();
    for (const c of this.clients) {
      c.ec2.destroy();
      c.cloudwatch.destroy();
    }
  }

  private async refreshEc2(signal: AbortSignal): Promise<MetricFamily[]> {
    const perRegion = await Promise.all(this.clients.map((c) => discoverRegion(c.ec2, c.region, this.cfg.filters, signal)));
    const all = perRegion.flat();
    const { kept, dropped } = capInstances(all, this.cfg.max_instance_series);
    this.kept = kept;
    this.droppedSeries += dropped; // reported once per refresh, not once per scrape
    return buildEc2Families(all, kept, this.cfg.regions);
  }

  /** Only running instances are asked for: others publish nothing, and asking costs money. */
  private async refreshCloudWatch(signal: AbortSignal): Promise<MetricFamily[]> {
    const now = Date.now();
    const window = queryWindow(now, this.cfg.cloudwatch);
    const running = this.kept.filter((i) => i.state === 'running');
    const perRegion = await Promise.all(
      this.clients.map(async (c) => {
        const planned = planQueries(
          running.filter((i) => i.region === c.region),
          this.specs,
          window.periodSeconds,
        );
        const results = await fetchMetricData(c.cloudwatch, planned, window, this.cfg.cloudwatch.concurrency, signal);
        return latestDatapoints(planned, results, this.specs, window.periodSeconds);
      }),
    );
    const families = buildCloudWatchFamilies(perRegion.flat(), this.specs, now);
    for (const f of families) if (f.name === AGE_FAMILY) this.fetchedAt.set(f, now);
    return families;
  }

  lastSuccessSeconds(): number | undefined {
    const times = [this.ec2.lastSuccessSeconds(), this.cloudwatch?.lastSuccessSeconds()].filter((t): t is number => t !== undefined);
    // The stalest part is how stale the data shown is.
    return times.length ? Math.min(...times) : undefined;
  }

  /** CloudWatch starts after the first successful EC2 discovery, so it is awaited only then. */
  answered(): boolean {
    if (!this.ec2.settled()) return false;
    return !this.cloudwatch || this.ec2.lastSuccessSeconds() === undefined || this.cloudwatch.settled();
  }

  async collect(): Promise<CollectResult> {
    const errors: string[] = [];
    const current = (service: string, r: BackgroundRefresher): MetricFamily[] => {
      try {
        return r.current();
      } catch (err) {
        errors.push(`${service}: ${errorMessage(err)}`);
        return err instanceof CollectError ? err.families : [];
      }
    };
    // A copy: the refresher's arrays are its cached result.
    const families = [...current('ec2', this.ec2)];
    if (this.cloudwatch) {
      const now = Date.now();
      const running = new Set(this.kept.filter((i) => i.state === 'running').map((i) => i.id));
      for (const f of current('cloudwatch', this.cloudwatch)) {
        const sinceFetch = (now - (this.fetchedAt.get(f) ?? now)) / 1000;
        families.push(...currentCloudWatchFamilies([f], running, sinceFetch));
      }
    }
    families.push(...this.selfFamilies());
    if (errors.length > 0) throw new CollectError(errors.join('; '), families);
    const droppedSeries = this.droppedSeries;
    this.droppedSeries = 0;
    return { families, droppedSeries };
  }

  /** Live values, never frozen in a refresh result: API cost and when each part last refreshed. */
  private selfFamilies(): MetricFamily[] {
    const snap = new Snapshot();
    const last = snap.gauge(metric.fleet_aws_refresh_success_timestamp_seconds, 'Unix time of the last successful background refresh, per service.', ['service']);
    const ec2 = this.ec2.lastSuccessSeconds();
    if (ec2 !== undefined) last.set(ec2, 'ec2');
    const cw = this.cloudwatch?.lastSuccessSeconds();
    if (cw !== undefined) last.set(cw, 'cloudwatch');
    return [...snap.families(), this.cost.requests.family(), this.cost.metricsRequested.family()];
  }
}
