#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AppState } from './app-state.js';
import { Clock } from './clock.js';
import { Fleet } from './fleet.js';
import { SCENARIO } from './scenario.js';

const USAGE = `Usage: node dist/src/demo/main.js [options]

A demo worker fleet against Redis (and Postgres) that plays the scenario in
docs/stack.md, so every dashboard fills and every alert fires once.

Options:
  --redis-url URL               (env REDIS_URL; default redis://127.0.0.1:6379/0)
  --postgres-url URL            (env DATABASE_URL; without it the Postgres part is skipped)
  --postgres-password-file FILE password for --postgres-url (Docker secrets)
  --speed N                     play the scenario N times faster (default 1)
  --duration SECONDS            stop after this many real seconds (default: run until SIGTERM/Ctrl-C)
  -h, --help
`;

function options() {
  const { values } = parseArgs({
    options: {
      'redis-url': { type: 'string' },
      'postgres-url': { type: 'string' },
      'postgres-password-file': { type: 'string' },
      speed: { type: 'string', default: '1' },
      duration: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const speed = Number(values.speed);
  const duration = Number(values.duration);
  if (!(speed > 0) || !(duration >= 0)) {
    process.stderr.write(`demo: --speed must be > 0 and --duration >= 0\n\n${USAGE}`);
    process.exit(2);
  }
  let postgresUrl = values['postgres-url'] ?? process.env.DATABASE_URL;
  if (postgresUrl && values['postgres-password-file']) {
    const u = new URL(postgresUrl);
    u.password = encodeURIComponent(readFileSync(values['postgres-password-file'], 'utf8').trim());
    postgresUrl = u.toString();
  }
  return { redisUrl: values['redis-url'] ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', postgresUrl, speed, duration };
}

async function main(): Promise<void> {
  const opts = options();
  const clock = new Clock(opts.speed);
  const log = (msg: string) => process.stdout.write(`[demo t=${Math.round(clock.now())}s] ${msg}\n`);
  const fleet = new Fleet(opts.redisUrl, clock);
  const app = opts.postgresUrl ? new AppState(opts.postgresUrl, clock) : undefined;

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping: workers shut down cleanly');
    clock.stop();
    await fleet.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  if (opts.duration > 0) setTimeout(() => void stop(0), opts.duration * 1000).unref();

  await fleet.setup();
  await app?.setup();
  fleet.startProducers();
  app?.start();
  log(`playing the scenario at ${opts.speed}x${app ? '' : ' (no Postgres)'}`);
  for (const step of SCENARIO) {
    await clock.sleep(step.at - clock.now());
    if (clock.stopped) return;
    log(step.what);
    await Promise.resolve(step.run({ fleet, app, log })).catch((err: Error) => log(`step failed: ${err.message}`));
  }
  log('scenario done; the fleet keeps running');
}

main().catch((err: Error) => {
  process.stderr.write(`demo: ${err.message}\n`);
  process.exit(1);
});
