import type { AppState } from './app-state.js';
import { SANDBOXES } from './app-state.js';
import type { Fleet } from './fleet.js';

export interface Step {
  /** Scenario seconds from the start (divide by --speed for real time). */
  at: number;
  what: string;
  /** Alerts this step makes fire, once their `for:` window (real time) has passed. */
  fires: string[];
  run(ctx: { fleet: Fleet; app?: AppState; log: (msg: string) => void }): Promise<void> | void;
}

/**
 * The story the demo plays (documented step by step in docs/stack.md).
 * Worker-type outages happen after 6 minutes, because the rules keep worker
 * alerts quiet during the exporter's 5-minute start-up grace.
 */
export const SCENARIO: Step[] = [
  {
    at: 0,
    what: 'fleet starts: lookup x3, score x2, merge x2; 12 phantom consumers from earlier deploys; an untrimmed audit stream',
    fires: ['FleetPhantomConsumers', 'FleetStreamUnbounded', 'FleetCallbacksOrphaned'],
    async run({ fleet }) {
      await fleet.seedPhantoms('lookup', 12);
      for (const t of ['lookup', 'score', 'merge']) fleet.scaleTo(t, fleet.spec(t).replicas);
    },
  },
  {
    at: 30,
    what: 'a poison message on stream.score: every attempt fails, it is retried until dead-lettered',
    fires: ['FleetPoisonMessage'],
    run: ({ fleet }) => fleet.addPoison('score'),
  },
  {
    at: 60,
    what: 'one merge worker crashes holding tasks; merge workers have no reclaim loop, so they stay stranded',
    fires: ['FleetStrandedMessages', 'FleetPendingStuck', 'FleetWorkersBelowMinimum'],
    run: ({ fleet }) => fleet.crash('merge', 1),
  },
  {
    at: 90,
    what: 'stuck work in Postgres: a query RUNNING for 11 min with its callback, a task assigned for 11 min, an operation RUNNING without updates',
    fires: ['FleetQueriesStuck', 'FleetCallbacksStale', 'FleetTasksStuck', 'FleetOperationStuck'],
    run: ({ app }) => app?.injectStuckWork(),
  },
  {
    at: 120,
    what: `sandbox ${SANDBOXES.at(-1)} stops reporting events`,
    fires: [],
    run: ({ app }) => void app?.silentSandboxes.add(SANDBOXES.at(-1)!),
  },
  {
    at: 180,
    what: 'lookup tasks run 4x slower for 4 minutes (a slow dependency): task latency and queue wait rise',
    fires: [],
    run: ({ fleet }) => fleet.slowDown('lookup', 4),
  },
  {
    at: 360,
    what: 'every score worker crashes (no shutdown marker): stream.score backs up',
    fires: ['FleetWorkerTypeDown', 'FleetStreamBacklogHigh', 'FleetStreamBacklogGrowing'],
    run: ({ fleet }) => fleet.crash('score'),
  },
  {
    at: 420,
    what: 'lookup tasks are fast again',
    fires: [],
    run: ({ fleet }) => fleet.slowDown('lookup', 1),
  },
  {
    at: 540,
    what: 'an operator reclaims the stranded merge tasks onto the live merge worker',
    fires: [],
    async run({ fleet, log }) {
      log(`reclaimed ${await fleet.reclaimStranded('merge')} stranded merge entries`);
    },
  },
  {
    at: 600,
    what: 'merge is scaled down to zero cleanly (SIGTERM, shutdown markers)',
    fires: ['FleetWorkerTypeDown'],
    run: ({ fleet }) => fleet.scaleDownAll('merge'),
  },
  {
    at: 900,
    what: 'a connection storm holds 85 % of max_connections for 7 minutes',
    fires: ['FleetPostgresConnectionsHigh'],
    async run({ app, log }) {
      if (app) log(`holding ${await app.holdConnections(0.85)} Postgres connections`);
    },
  },
  {
    at: 960,
    what: 'a big key fills Redis to 85 % of maxmemory for 7 minutes',
    fires: ['FleetRedisMemoryHigh'],
    async run({ fleet, log }) {
      if (!(await fleet.holdBallast(0.85))) log('Redis has no maxmemory: skipping the memory step');
    },
  },
  {
    at: 1200,
    what: 'merge is scaled back up to 2',
    fires: [],
    run: ({ fleet }) => fleet.scaleTo('merge', 2),
  },
  {
    at: 1320,
    what: 'the connection storm and the Redis ballast end',
    fires: [],
    async run({ fleet, app }) {
      await app?.releaseConnections();
      await fleet.dropBallast();
    },
  },
  {
    at: 1800,
    what: 'the stuck query, task and operation are resolved',
    fires: [],
    run: ({ app }) => app?.resolveStuckWork(),
  },
  {
    at: 2400,
    what: 'score comes back with 4 workers (new ids; the crashed ones stay behind as consumers), drains the backlog and reclaims what the crashed ones held; a janitor reaps leaked callbacks',
    fires: [],
    async run({ fleet, app }) {
      fleet.scaleTo('score', 4);
      if (app) {
        app.leakCallbacks = false;
        await app.resolveStuckWork();
      }
    },
  },
];
