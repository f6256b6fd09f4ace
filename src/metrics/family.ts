/**
 * Metric families built fresh for each collection (the client_golang
 * "const metric" pattern): a collector returns a snapshot of what it read,
 * so objects that vanished from the source simply are not in the next one.
 */
export type MetricType = 'gauge' | 'counter' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** Label values, in the order of the family's labelNames. */
  labelValues: readonly string[];
  value: number;
  /** Sample name when it differs from the family's (histogram _bucket/_sum/_count). */
  name?: string;
  /** Extra labels beyond labelNames (histogram `le`). */
  extraLabels?: Readonly<Record<string, string>>;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  labelNames: readonly string[];
  samples: Sample[];
}

export class FamilyBuilder {
  readonly family: MetricFamily;
  constructor(name: string, help: string, type: MetricType, labelNames: readonly string[] = []) {
    this.family = { name, help, type, labelNames, samples: [] };
  }
  /** Adds one sample; label values are positional, matching labelNames. */
  set(value: number, ...labelValues: string[]): this {
    this.family.samples.push({ labelValues, value });
    return this;
  }
}

/** A set of families under construction; `families()` drops empty ones. */
export class Snapshot {
  private readonly builders = new Map<string, FamilyBuilder>();

  gauge(name: string, help: string, labelNames: readonly string[] = []): FamilyBuilder {
    return this.family(name, help, 'gauge', labelNames);
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): FamilyBuilder {
    return this.family(name, help, 'counter', labelNames);
  }

  /** Samples are added with their own `_bucket` / `_sum` / `_count` name and the `le` as an extra label. */
  histogram(name: string, help: string, labelNames: readonly string[] = []): FamilyBuilder {
    return this.family(name, help, 'histogram', labelNames);
  }

  /** Quantile-only summaries (a `quantile` label among labelNames), e.g. from a bounded sample list. */
  summary(name: string, help: string, labelNames: readonly string[] = []): FamilyBuilder {
    return this.family(name, help, 'summary', labelNames);
  }

  private family(name: string, help: string, type: MetricType, labelNames: readonly string[]): FamilyBuilder {
    let b = this.builders.get(name);
    if (!b) {
      b = new FamilyBuilder(name, help, type, labelNames);
      this.builders.set(name, b);
    }
    return b;
  }

  families(): MetricFamily[] {
    return [...this.builders.values()].map((b) => b.family).filter((f) => f.samples.length > 0);
  }
}

/**
 * Counters that live in the exporter process (errors, API requests), keyed by
 * their label values. They only ever grow, and are emitted into each snapshot.
 */
export class CounterVec {
  private readonly values = new Map<string, { labelValues: string[]; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}

  inc(labelValues: string[] = [], by = 1): void {
    const key = labelValues.join('\u0000');
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labelValues, value: by });
  }

  /** Makes a series exist at 0 so rate() works from the first increment. */
  touch(labelValues: string[] = []): void {
    this.inc(labelValues, 0);
  }

  get(labelValues: string[] = []): number {
    return this.values.get(labelValues.join('\u0000'))?.value ?? 0;
  }

  family(): MetricFamily {
    return {
      name: this.name,
      help: this.help,
      type: 'counter',
      labelNames: this.labelNames,
      samples: [...this.values.values()].map((e) => ({ labelValues: e.labelValues, value: e.value })),
    };
  }
}
