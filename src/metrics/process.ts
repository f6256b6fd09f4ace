import { Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricFamily, MetricType } from './family.js';

/**
 * prom-client's default process and Node.js metrics (process_*, nodejs_*),
 * from a dedicated registry, converted to our families for rendering.
 */
export class ProcessMetrics {
  private readonly registry = new Registry();
  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  async families(): Promise<MetricFamily[]> {
    // prom-client's nodejs_active_{handles,requests,resources}_total are gauges
    // named like counters (promtool's lint rejects them); the same values are
    // exported without the suffix, by type.
    const json = (await this.registry.getMetricsAsJSON()).filter((m) => !(String(m.type) === 'gauge' && m.name.endsWith('_total')));
    return json.map((m) => ({
      name: m.name,
      help: m.help,
      type: String(m.type) as MetricType,
      labelNames: [],
      samples: m.values.map((v) => {
        const labels = Object.fromEntries(Object.entries(v.labels ?? {}).map(([k, x]) => [k, String(x)]));
        const metricName = (v as { metricName?: string }).metricName;
        return {
          labelValues: [],
          value: v.value,
          name: metricName,
          extraLabels: Object.keys(labels).length > 0 ? labels : undefined,
        };
      }),
    }));
  }
}
