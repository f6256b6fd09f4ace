import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { FakeDaytona, makeSandboxes } from './fakes/daytona-server.js';
import { ExporterProcess } from './helpers/exporter.js';
import { promtoolCheckMetrics, valueOf } from './helpers/exposition.js';
import { sleep, waitFor } from './helpers/net.js';

const API_KEY = 'dtn_e2e_7c1f0b9a3e6d4f21';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The exporter's own families (fleet_*); process metrics are another engineer's, linted elsewhere. */
function fleetFamiliesOnly(exposition: string): string {
  return exposition
    .split('\n')
    .filter((l) => /^(# (HELP|TYPE) )?fleet_/.test(l))
    .join('\n')
    .concat('\n');
}

function keyFile(key: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'daytona-key-')), 'api_key');
  writeFileSync(file, `${key}\n`);
  return file;
}

async function start(fake: FakeDaytona, refreshSeconds: number): Promise<ExporterProcess> {
  const exporter = await ExporterProcess.start({
    daytona: {
      api_url: fake.apiUrl,
      api_key_file: keyFile(API_KEY),
      organization_id: 'org-fleet',
      refresh_seconds: refreshSeconds,
      labels: { 'task-id': 'task_id' },
      pricing: { cpu_hour: 0.0504, memory_gib_hour: 0.0162, disk_gib_hour: 0.000108 },
    },
  });
  cleanups.push(() => exporter.stop());
  return exporter;
}

describe('fleet-exporter with only a daytona section', () => {
  it('serves valid exposition from the Daytona API, refreshed in the background', async () => {
    const fake = await FakeDaytona.start({ apiKey: API_KEY, organizationId: 'org-fleet', sandboxes: makeSandboxes(1200) });
    cleanups.push(() => fake.close());
    const exporter = await start(fake, 10);
    await waitFor(async () => valueOf(await exporter.samples(), 'fleet_collector_up', { collector: 'daytona' }) === 1);

    const { body } = await exporter.text();
    const check = promtoolCheckMetrics(fleetFamiliesOnly(body));
    assert.ok(check.ok, check.output);
    const samples = await exporter.samples();
    assert.equal(valueOf(samples, 'fleet_daytona_sandboxes_listed'), 1200);
    assert.equal(valueOf(samples, 'fleet_daytona_sandbox_info', { sandbox_id: 'sb-000007', task_id: 'task-7', state: 'creating' }), 1);
    assert.ok(valueOf(samples, 'fleet_daytona_estimated_cost_per_hour', { state: 'started' })! > 0);

    // 30 scrapes within one refresh interval add no API call.
    assert.equal(fake.listCalls, 6, '1200 sandboxes in pages of 200');
    for (let i = 0; i < 30; i++) await exporter.text();
    assert.equal(fake.listCalls, 6);

    assert.ok(!exporter.logs.includes(API_KEY) && !body.includes(API_KEY));
  });

  it('reports a rejected credential as collector down and never writes the key to logs, /metrics or the status page', async () => {
    // The fake accepts another key and echoes the Authorization header it got into its 401 body.
    const fake = await FakeDaytona.start({ apiKey: 'dtn_some_other_key', sandboxes: makeSandboxes(5) });
    cleanups.push(() => fake.close());
    const exporter = await start(fake, 0.5);
    await waitFor(() => exporter.logs.includes('refresh failed'));
    await sleep(1500); // three more refresh ticks: the rejected key is not tried again (auth_failure_backoff_seconds)

    const metrics = (await exporter.text()).body;
    const status = (await exporter.text('/')).body;
    const samples = await exporter.samples();
    assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'daytona' }), 0);
    assert.equal(valueOf(samples, 'fleet_daytona_requests_total', { operation: 'list_sandboxes', outcome: 'unauthorized' }), 1);
    assert.equal(fake.listCalls, 1);
    assert.match(exporter.logs, /HTTP 401/);
    assert.match(exporter.logs, /\[REDACTED\]/, 'the echoed header was scrubbed, not dropped');
    for (const text of [exporter.logs, metrics, status]) assert.ok(!text.includes(API_KEY));
    assert.equal(exporter.logs.match(/refresh failed/g)!.length, 1, 'a failure is logged once, not on every refresh');
  });
});
