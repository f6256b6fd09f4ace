import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFleetMetrics, consumerState, type ObservedFleet } from '../src/collectors/redis/metrics.js';
import { WorkerTable } from '../src/collectors/redis/heartbeats.js';
import { KeyTemplate } from '../src/collectors/redis/keys.js';
import type { MetricFamily } from '../src/metrics/family.js';

function value(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  const s = f?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labelValues[f.labelNames.indexOf(k)] === v));
  return s?.value;
}

const NOW = 1_700_000_100_000;

function fleet(): ObservedFleet {
  const workers = new WorkerTable(new KeyTemplate('hb:{worker_type}:{worker_id}'), 2); // grows past 2
  const [live, dead, ghost] = ['live', 'dead', 'ghost'].map((id) => workers.slot('lookup', id)) as [number, number, number];
  workers.alive[live] = 1;
  workers.ageSeconds[live] = 4;
  workers.markers[ghost] = 1;
  return {
    nowMs: NOW,
    server: { usedMemoryBytes: 100, maxmemoryBytes: 0, connectedClients: 3 },
    streams: [
      {
        name: 'stream.lookup',
        key: 'stream.lookup',
        workerType: 'lookup',
        info: { length: 5, entriesAdded: 50, lastGeneratedId: `${NOW - 2000}-0`, firstEntryId: `${NOW - 60_000}-0` },
        groups: [
          {
            name: 'g',
            consumers: 3,
            pending: 7,
            entriesRead: 45,
            lag: 5,
            oldestPending: { id: '1-0', consumer: 'dead', idleMs: 90_000, deliveries: 3 },
            consumerColumns: { names: ['live', 'dead', 'ghost'], pending: [2, 5, 0], idleMs: [100, 90_000, 3_600_000] },
            workerSlots: [live, dead, ghost],
          },
        ],
      },
    ],
    workers,
    knownTypes: ['lookup', 'orchestrator'],
    discoveryAgeSeconds: { streams: 3 },
  };
}

test('consumers are alive with a heartbeat, else stranding with pending work, else phantom', () => {
  assert.equal(consumerState(true, 3), 'alive');
  assert.equal(consumerState(false, 3), 'stranding');
  assert.equal(consumerState(false, 0), 'phantom');
});

test('a group reports consumer states, orphaned pending and its oldest pending entry', () => {
  const { families } = buildFleetMetrics(fleet(), { workerTypes: [], perConsumer: false, maxConsumerSeries: 10 });
  const g = { stream: 'stream.lookup', group: 'g' };
  assert.equal(value(families, 'fleet_stream_group_consumers', { ...g, state: 'alive' }), 1);
  assert.equal(value(families, 'fleet_stream_group_consumers', { ...g, state: 'stranding' }), 1);
  assert.equal(value(families, 'fleet_stream_group_consumers', { ...g, state: 'phantom' }), 1);
  assert.equal(value(families, 'fleet_stream_group_orphaned_pending', g), 5);
  assert.equal(value(families, 'fleet_stream_group_oldest_pending_idle_seconds', g), 90);
  assert.equal(value(families, 'fleet_stream_group_oldest_pending_deliveries', g), 3);
  assert.equal(value(families, 'fleet_stream_group_lag', g), 5);
  assert.equal(value(families, 'fleet_stream_oldest_entry_age_seconds', { stream: 'stream.lookup' }), 60);
  assert.equal(value(families, 'fleet_stream_last_entry_age_seconds', { stream: 'stream.lookup' }), 2);
  assert.equal(
    families.find((f) => f.name === 'fleet_stream_consumer_pending'),
    undefined,
    'per-consumer series are opt-in',
  );
});

test('known worker types report at zero, with their configured minimum and concurrency', () => {
  const { families } = buildFleetMetrics(fleet(), {
    workerTypes: [{ name: 'orchestrator', min_alive: 2, concurrency: 1 }],
    perConsumer: false,
    maxConsumerSeries: 10,
  });
  assert.equal(value(families, 'fleet_workers_alive', { worker_type: 'lookup' }), 1);
  assert.equal(value(families, 'fleet_workers_alive', { worker_type: 'orchestrator' }), 0);
  assert.equal(value(families, 'fleet_worker_min_alive', { worker_type: 'orchestrator' }), 2);
  assert.equal(value(families, 'fleet_worker_shutdown_markers', { worker_type: 'lookup' }), 1);
  assert.equal(value(families, 'fleet_worker_heartbeat_max_age_seconds', { worker_type: 'lookup' }), 4);
  assert.equal(value(families, 'fleet_worker_heartbeat_max_age_seconds', { worker_type: 'orchestrator' }), undefined);
});

test('per-consumer series stop at the cap and the rest are counted as dropped', () => {
  const { families, dropped } = buildFleetMetrics(fleet(), { workerTypes: [], perConsumer: true, maxConsumerSeries: 2 });
  assert.equal(families.find((f) => f.name === 'fleet_stream_consumer_pending')?.samples.length, 2);
  assert.equal(dropped, 1, 'one consumer over the cap');
});
