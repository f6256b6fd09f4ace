/**
 * Scenario time: the demo runs its story `speed` times faster than real time,
 * so a test can play twenty minutes of fleet life in one. Alert `for:` windows
 * stay in real time: they are Prometheus's business.
 */
export class Clock {
  private readonly startMs = Date.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();
  stopped = false;

  constructor(readonly speed: number) {}

  /** Scenario seconds since the start. */
  now(): number {
    return ((Date.now() - this.startMs) / 1000) * this.speed;
  }

  /** Real milliseconds for a span of scenario seconds (at least 1 ms). */
  ms(scenarioSeconds: number): number {
    return Math.max(1, (scenarioSeconds * 1000) / this.speed);
  }

  /** Resolves after a span of scenario time, or at once when the clock stops. */
  sleep(scenarioSeconds: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, this.ms(scenarioSeconds));
      this.sleepers.add(done);
    });
  }

  /** Runs `fn` every `scenarioSeconds` (never faster than every `minRealMs`) until stop() or until it returns false. */
  every(scenarioSeconds: number, fn: () => Promise<unknown> | unknown, minRealMs = 50): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        if ((await fn()) === false) return;
      } catch (err) {
        process.stderr.write(`demo: ${(err as Error).message}\n`);
      }
      if (this.stopped) return;
      const t = setTimeout(
        () => {
          this.timers.delete(t);
          void tick();
        },
        Math.max(minRealMs, this.ms(scenarioSeconds)),
      );
      this.timers.add(t);
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of [...this.sleepers]) wake();
  }
}
