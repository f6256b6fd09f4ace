import type { Redis } from 'ioredis';
import { RawNames } from './names.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Keeps discovery SCANs to a share of Redis's time, across every discovery
 * of one collector: on a keyspace of millions of keys an unpaced SCAN keeps
 * Redis busy for seconds, every interval. A token bucket: each page's time
 * (measured here, so with the round trip: an overestimate) is spent, time
 * earns `share` of itself back, and a page that overdraws waits. The burst
 * lets a small keyspace's whole pass run at once.
 */
export class Pacer {
  private tokensMs: number;
  private lastMs = Date.now();

  constructor(
    private readonly share: number,
    private readonly burstMs = 250,
  ) {
    this.tokensMs = burstMs;
  }

  async charge(pageMs: number): Promise<void> {
    const now = Date.now();
    this.tokensMs = Math.min(this.burstMs, this.tokensMs + (now - this.lastMs) * this.share) - pageMs;
    this.lastMs = now;
    if (this.tokensMs < 0) await sleep(-this.tokensMs / this.share);
  }
}

/** One SCAN over every node: a glob as SCAN MATCH, optionally of one TYPE. */
export interface ScanSpec {
  match: string;
  type?: string;
}

const PAGE_COUNT = 1000;

/**
 * A paced, resumable discovery: full SCAN passes over every node for each
 * spec. A pass interrupted by an error resumes from its cursor next time
 * instead of starting over. While a pass runs, what it found so far is
 * served beside the last complete pass, so a huge keyspace shows its first
 * keys long before the pass ends.
 */
export class Discovery {
  /** Keys per spec from the last complete pass (labels: see names.ts). */
  private complete: string[][];
  private completeNames = new RawNames();
  private partial: Set<string>[];
  private partialNames = new RawNames();
  private specIndex = 0;
  private nodeIndex = 0;
  private cursor = '0';
  private running?: Promise<void>;
  private readonly createdMs = Date.now();
  /** When the last complete pass ended (0: none yet). */
  lastCompleteMs = 0;

  constructor(
    private readonly specs: readonly ScanSpec[],
    private readonly pacer: Pacer,
  ) {
    this.complete = specs.map(() => []);
    this.partial = specs.map(() => new Set());
  }

  /** Keys of spec `i`: the last complete pass's, and the running pass's so far. */
  keys(i: number): string[] {
    if (this.partial[i]!.size === 0) return this.complete[i]!;
    return [...new Set([...this.complete[i]!, ...this.partial[i]!])];
  }

  /** The bytes behind labels of keys that are not UTF-8. */
  names(): RawNames {
    const names = new RawNames();
    names.addAll(this.completeNames);
    names.addAll(this.partialNames);
    return names;
  }

  /** Seconds since the last complete pass ended (since start while none has). */
  ageSeconds(nowMs = Date.now()): number {
    return (nowMs - (this.lastCompleteMs || this.createdMs)) / 1000;
  }

  /** Runs (or joins) a pass; resolves when it ends, rejects where it was interrupted. */
  pass(nodes: () => Redis[]): Promise<void> {
    this.running ??= this.scan(nodes).finally(() => (this.running = undefined));
    return this.running;
  }

  private async scan(nodes: () => Redis[]): Promise<void> {
    for (; this.specIndex < this.specs.length; this.specIndex++) {
      const spec = this.specs[this.specIndex]!;
      const found = this.partial[this.specIndex]!;
      for (let list = nodes(); this.nodeIndex < list.length; this.nodeIndex++, this.cursor = '0', list = nodes()) {
        const node = list[this.nodeIndex]!;
        do {
          const args: (string | number)[] = [this.cursor, 'MATCH', spec.match, 'COUNT', PAGE_COUNT];
          if (spec.type) args.push('TYPE', spec.type);
          const t0 = performance.now();
          const [next, page] = await node.scanBuffer(...(args as [string]));
          for (const k of page) found.add(this.partialNames.label(k));
          this.cursor = next.toString();
          await this.pacer.charge(performance.now() - t0);
        } while (this.cursor !== '0');
      }
      this.nodeIndex = 0;
    }
    this.complete = this.partial.map((s) => [...s]);
    this.completeNames = this.partialNames;
    this.partial = this.specs.map(() => new Set());
    this.partialNames = new RawNames();
    this.specIndex = 0;
    this.lastCompleteMs = Date.now();
  }
}

/**
 * Runs `task` now and then every `intervalSeconds`, never overlapping itself.
 * Used for the slow SCANs (stream and heartbeat discovery) that must not run on every scrape.
 */
export class Periodic {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly intervalSeconds: number,
    private readonly task: () => Promise<void>,
  ) {}

  start(): void {
    const run = () => void this.task().catch(() => undefined);
    run();
    this.timer = setInterval(run, this.intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
