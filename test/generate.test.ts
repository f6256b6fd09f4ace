// The one generator (npm run generate / generate:check): the committed files
// are what it makes, a hand-edited generated file fails the check, and a bad
// thresholds file fails generation with its key path. Tracked files are never
// written: edits happen in a temporary copy (--out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadThresholds } from '../rules/src/thresholds.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GENERATE = join(ROOT, 'dist', 'scripts', 'generate.js');

const generate = (...args: string[]) => {
  const r = spawnSync(process.execPath, [GENERATE, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

function withTemp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-generate-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('generate:check passes on the committed tree', () => {
  const r = generate('--check');
  assert.equal(r.status, 0, `generated files are stale: run npm run generate\n${r.out}`);
});

test('generate:check fails on a hand-edited generated file, naming it', () => {
  withTemp((dir) => {
    assert.equal(generate('--out', dir).status, 0);
    const written = ['rules', 'dashboards', 'docs', 'grafana/src'].flatMap((d) => readdirSync(join(dir, d)).map((f) => `${d}/${f}`));
    for (const f of [
      'rules/streams.rules.yml',
      'dashboards/fleet-streams.json',
      'grafana/src/alert-panels.json',
      'docs/configuration.md',
      'docs/config.schema.json',
      'docs/metrics.md',
    ]) {
      assert.ok(written.includes(f), `generate writes ${f}`);
    }
    assert.equal(generate('--check', '--out', dir).status, 0, 'a fresh output passes the check');

    const edited = join(dir, 'rules', 'streams.rules.yml');
    writeFileSync(edited, readFileSync(edited, 'utf8').replace('> 1000', '> 2000'));
    const r = generate('--check', '--out', dir);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /out of date: rules\/streams\.rules\.yml/);
    assert.doesNotMatch(r.out, /out of date: (?!rules\/streams)/, 'only the edited file is reported');

    assert.equal(generate('--out', dir).status, 0, 'generate repairs it');
    assert.equal(generate('--check', '--out', dir).status, 0);
  });
});

test('a bad thresholds file fails generation with the key path of every problem, and writes nothing', () => {
  withTemp((dir) => {
    const bad = join(dir, 'team.yml');
    writeFileSync(
      bad,
      [
        'redis: { memory_warning_ratio: 80 }',
        'workers: { down_for: soon }',
        'streams: { overrides: { lookup: { backlog_hgih: 5 } } }',
        'ec2: { cpu_high: 0.5 }',
        'task_metrics: { overrides: { lookup: { duration_p95: 30, failure_ratio: 5 } } }',
      ].join('\n'),
    );
    const r = generate('--thresholds', bad, '--out', join(dir, 'out'));
    assert.equal(r.status, 2, r.out);
    assert.match(r.out, /redis\.memory_warning_ratio: is a ratio \(0\.\.1\)/);
    assert.match(r.out, /workers\.down_for: must be a duration/);
    assert.match(r.out, /streams\.overrides\.lookup\.backlog_hgih: unknown key/);
    assert.match(r.out, /ec2\.cpu_high: unknown key/);
    assert.match(r.out, /task_metrics\.overrides\.lookup\.duration_p95: unknown key/);
    assert.match(r.out, /task_metrics\.overrides\.lookup\.failure_ratio: is a ratio \(0\.\.1\)/);
    assert.deepEqual(readdirSync(dir), ['team.yml'], 'nothing was written');
  });
});

test('the thresholds schema checks every key of rules/thresholds.yml', () => {
  const t = loadThresholds();
  assert.equal(t.streams.defaults.backlog_high, 1000);
  assert.deepEqual(t.streams.overrides, {}, 'team overrides live in rules/thresholds.example.yml');
  withTemp((dir) => {
    // Every leaf of the defaults, replaced by a value of the wrong type, is reported by its path.
    const leaves: string[] = [];
    const walk = (o: object, path: string[]) => {
      for (const [k, v] of Object.entries(o)) {
        if (v && typeof v === 'object' && Object.keys(v).length > 0) walk(v, [...path, k]);
        else if (!(v && typeof v === 'object')) leaves.push([...path, k].join('.'));
      }
    };
    walk(t, []);
    assert.ok(leaves.length >= 70, `found ${leaves.length} keys`);
    for (const leaf of leaves) {
      const keys = leaf.split('.');
      const overlay = keys.reduceRight<unknown>((inner, k) => ({ [k]: inner }), [true]);
      const file = join(dir, 'bad.yml');
      writeFileSync(file, JSON.stringify(overlay));
      assert.throws(
        () => loadThresholds(file),
        (err: Error) => err.message.includes(`${leaf}: `),
        `${leaf} is checked`,
      );
    }
  });
});
