import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { samplesFromRows, sampleValue, specsFromConfig, QueryResultError, type QuerySpec } from '../src/collectors/postgres/parse.js';
import { ident, literal } from '../src/collectors/postgres/sql.js';
import { withPassword } from '../src/collectors/postgres/client.js';
import { ConfigError, parseConfig } from '../src/config/load.js';

const spec: QuerySpec = {
  ids: ['m'],
  sql: '',
  timeoutSeconds: 1,
  minIntervalSeconds: 0,
  metrics: [{ name: 'm', help: 'h', type: 'gauge', labels: ['status'], value: 'n' }],
};

function configProblems(yaml: string): string[] {
  try {
    parseConfig(yaml, 'test.yml', {});
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('turning rows into samples', () => {
  test('numbers, numeric strings and booleans are values; NULL is skipped', () => {
    assert.equal(sampleValue(3, 'n'), 3);
    assert.equal(sampleValue('12345678901', 'n'), 12345678901);
    assert.equal(sampleValue('-1.5e3', 'n'), -1500);
    assert.equal(sampleValue('NaN', 'n'), NaN);
    assert.equal(sampleValue(true, 'n'), 1);
    assert.equal(sampleValue(null, 'n'), undefined);
  });

  test('a non-numeric value names its column and fails the query', () => {
    assert.throws(() => sampleValue('abc', 'n'), /column "n" has a non-numeric value "abc"/);
    assert.throws(() => sampleValue(new Date(), 'n'), QueryResultError);
  });

  test('label values come from their columns; NULL labels are empty', () => {
    const r = samplesFromRows(
      spec,
      ['status', 'n'],
      [
        { status: 'a', n: '2' },
        { status: null, n: 1 },
        { status: 'c', n: null },
      ],
    );
    assert.deepEqual(r.samples[0], [
      { labelValues: ['a'], value: 2 },
      { labelValues: [''], value: 1 },
    ]);
  });

  test('a missing column or two rows with the same labels fail the query', () => {
    assert.throws(() => samplesFromRows(spec, ['status'], []), /column "n" \(metric m\) is not in the result/);
    assert.throws(
      () =>
        samplesFromRows(
          spec,
          ['status', 'n'],
          [
            { status: 'a', n: 1 },
            { status: 'a', n: 2 },
          ],
        ),
      /same labels/,
    );
  });

  test('rows beyond maxRows are counted as dropped series', () => {
    const rows = [1, 2, 3, 4].map((n) => ({ status: `s${n}`, n }));
    const r = samplesFromRows({ ...spec, maxRows: 3 }, ['status', 'n'], rows);
    assert.equal(r.samples[0]!.length, 3);
    assert.equal(r.dropped, 1);
  });
});

describe('declarative metrics from the config', () => {
  test('several value columns become <name>_<column>; identical queries run once', () => {
    const q = 'SELECT 1 AS a, 2 AS b';
    const specs = specsFromConfig([
      { name: 'x', help: 'h', type: 'gauge', query: q, labels: [], values: ['a', 'b'], timeout_seconds: 2, min_interval_seconds: 0 },
      { name: 'y', help: 'h', type: 'counter', query: q, labels: [], values: ['a'], timeout_seconds: 2, min_interval_seconds: 0 },
    ]);
    assert.equal(specs.length, 1);
    assert.deepEqual(specs[0]!.ids, ['x', 'y']);
    assert.deepEqual(
      specs[0]!.metrics.map((m) => `${m.name}:${m.value}:${m.type}`),
      ['x_a:a:gauge', 'x_b:b:gauge', 'y:a:counter'],
    );
  });

  test('the config contract keys are accepted as written', () => {
    assert.deepEqual(
      configProblems(`
postgres:
  url: postgres://user@127.0.0.1:5432/db
  presets: [shepherd, tasks, operations, sandbox_events]
  metrics:
    - name: fleet_custom_rows
      help: "Rows by status"
      type: gauge
      query: "SELECT status, count(*) AS n FROM t GROUP BY status"
      labels: [status]
      values: [n]
      timeout_seconds: 2
      min_interval_seconds: 0
`),
      [],
    );
  });

  test('invalid preset options and metric columns are reported with their key paths', () => {
    const problems = configProblems(`
postgres:
  url: postgres://u@h/db
  preset_options:
    tasks: { tabel: tasks, heartbeats: { stale_after_seconds: 600 } }
  metrics:
    - { name: bad, help: h, query: "SELECT 1 AS n", labels: ["bad-label"], values: [n] }
`);
    const has = (re: RegExp) =>
      assert.ok(
        problems.some((p) => re.test(p)),
        `${re} in:\n${problems.join('\n')}`,
      );
    has(/^postgres\.preset_options\.tasks\.tabel: unknown key$/);
    has(/^postgres\.preset_options\.tasks\.heartbeats: needs stale_after_seconds < down_after_seconds/);
    has(/^postgres\.metrics\[0\]\.labels\[0\]: must be a column name/);
  });

  test('metrics that collide with presets, built-ins or each other are reported with their key paths', () => {
    const problems = configProblems(`
postgres:
  url: postgres://u@h/db
  presets: [tasks]
  metrics:
    - { name: fleet_tasks, help: h, query: "SELECT 1 AS n", values: [n] }
    - { name: fleet_postgres_up, help: h, query: "SELECT 1 AS n", values: [n] }
    - { name: dup, help: h, query: "SELECT 1 AS n", labels: [n], values: [n] }
    - { name: dup, help: h, query: "SELECT 2 AS n", values: [n] }
`);
    const has = (re: RegExp) =>
      assert.ok(
        problems.some((p) => re.test(p)),
        `${re} in:\n${problems.join('\n')}`,
      );
    has(/^postgres\.metrics\[0\]\.name: metric fleet_tasks is already defined \(preset tasks\)/);
    has(/^postgres\.metrics\[1\]\.name: metric fleet_postgres_up is already defined \(built in\)/);
    has(/^postgres\.metrics\[2\]\.values: columns n are both labels and values/);
    has(/^postgres\.metrics\[3\]\.name: metric dup is already defined \(metrics\[2\]\)/);
  });
});

describe('SQL text building', () => {
  test('configured names are quoted as identifiers, statuses as literals', () => {
    assert.equal(ident('app.jobs'), '"app"."jobs"');
    assert.equal(ident('we"ird'), '"we""ird"');
    assert.equal(literal("it's"), "'it''s'");
  });

  test('a password from password_file is URL-encoded into the connection URL', () => {
    const url = withPassword('postgres://u@127.0.0.1:5432/db?sslmode=disable', 'p@ss/w:rd%');
    assert.equal(decodeURIComponent(new URL(url).password), 'p@ss/w:rd%');
    assert.match(url, /\?sslmode=disable$/);
  });
});
