import type { Redis } from 'ioredis';

/** SCAN one node for keys matching a glob, optionally of one TYPE, in pages of `count`. */
export async function scanKeys(node: Redis, match: string, type?: string, count = 1000): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const args: (string | number)[] = [cursor, 'MATCH', match, 'COUNT', count];
    if (type) args.push('TYPE', type);
    const [next, page] = (await node.call('SCAN', ...args)) as [string, string[]];
    cursor = next;
    for (const k of page) keys.push(k);
  } while (cursor !== '0');
  return keys;
}

/**
 * Runs `task` now and then every `intervalSeconds`, never overlapping itself.
 * Used for the slow SCANs (stream and heartbeat discovery) that must not run on every scrape.
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  lastRunMs = 0;

  constructor(
    private readonly intervalSeconds: number,
    private readonly task: () => Promise<void>,
  ) {}

  start(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** Runs the task unless it is already running; resolves when that run ends. */
  run(): Promise<void> {
    if (!this.running) {
      this.running = this.task()
        .then(() => {
          this.lastRunMs = Date.now();
        })
        .catch(() => undefined)
        .finally(() => {
          this.running = undefined;
        });
    }
    return this.running;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
