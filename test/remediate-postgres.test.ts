import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseConfig } from '../src/config/load.js';
import { Remediation } from '../src/remediate/run.js';
import { loadSeedSchemas, psqlFile, startPostgres, type TestPostgres } from './helpers/postgres.js';
import pg from 'pg';

/** reap_callbacks against a real PostgreSQL, as the roles sql/grant-*.sql create. */
let db: TestPostgres;
const RO_PASSWORD = 'ro-Pa55word';
const RW_PASSWORD = 'rm-Pa55word';

before(async () => {
  db = await startPostgres();
  await loadSeedSchemas(db);
  psqlFile(db.adminUrl, 'grant-readonly.sql', { password: RO_PASSWORD });
  psqlFile(db.adminUrl, 'grant-remediate.sql', { password: RW_PASSWORD });
  psqlFile(db.adminUrl, 'grant-remediate.sql', { password: RW_PASSWORD }); // re-runnable
});
after(() => db?.destroy());

/** q1-q6 COMPLETED, q7 RUNNING, q8 QUEUED, q9 ERROR; three callback rows each. */
async function seed(): Promise<void> {
  const states = ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'RUNNING', 'QUEUED', 'ERROR'];
  await db.exec(`DROP TRIGGER IF EXISTS refuse ON callbacks; TRUNCATE callbacks; DELETE FROM shepherd_brain;
    INSERT INTO shepherd_brain (qid, state, start_time) SELECT 'q' || i, (ARRAY['${states.join("','")}'])[i], now() FROM generate_series(1, 9) i;
    INSERT INTO callbacks (query_id, callback_id) SELECT 'q' || i, 'cb-q' || i || '-' || j FROM generate_series(1, 9) i, generate_series(1, 3) j;`);
}

async function remaining(): Promise<Record<string, number>> {
  const c = new pg.Client(db.adminUrl);
  await c.connect();
  try {
    const res = await c.query<{ id: string; n: number }>('SELECT query_id AS id, count(*)::int AS n FROM callbacks GROUP BY 1 ORDER BY 1');
    return Object.fromEntries(res.rows.map((r) => [r.id, r.n]));
  } finally {
    await c.end();
  }
}

function remediation(remediate: string, pgUrl = db.url({ user: 'fleet_exporter', password: RO_PASSWORD })): Remediation {
  const cfg = parseConfig(`postgres:\n  url: ${pgUrl}\n  presets: [shepherd]\nremediate:\n  batch_size: 6\n${remediate}`, 'pg.yml', {});
  return new Remediation(cfg, { actions: new Set(['reap_callbacks']), maxActions: 100 });
}

const ALL = { q1: 3, q2: 3, q3: 3, q4: 3, q5: 3, q6: 3, q7: 3, q8: 3, q9: 3 };
const rw = () => `  postgres: { url: "${db.url({ user: 'fleet_remediate' })}", password: "${RW_PASSWORD}" }\n`;

test('the plan batches the callbacks of COMPLETED queries and deletes nothing; --apply deletes exactly those', async () => {
  await seed();
  const run = remediation(rw());
  await run.open();
  try {
    const plan = await run.plan();
    assert.deepEqual(
      plan.map((a) => [a.ids, a.reason]),
      [
        [['q1', 'q2'], '6 callback row(s) of 2 queries in status COMPLETED'],
        [['q3', 'q4'], '6 callback row(s) of 2 queries in status COMPLETED'],
        [['q5', 'q6'], '6 callback row(s) of 2 queries in status COMPLETED'],
      ],
    );
    assert.deepEqual(await remaining(), ALL);
    await run.apply(plan);
    assert.deepEqual(
      plan.map((a) => [a.applied, a.skipped]),
      [
        [true, null],
        [true, null],
        [true, null],
      ],
    );
    assert.deepEqual(await remaining(), { q7: 3, q8: 3, q9: 3 }, 'RUNNING, QUEUED and ERROR keep theirs');
    assert.deepEqual(run.errors, []);
  } finally {
    await run.close();
  }
});

test('a query re-opened between plan and apply keeps its callbacks', async () => {
  await seed();
  const run = remediation(rw());
  await run.open();
  try {
    const plan = await run.plan();
    await db.exec(`UPDATE shepherd_brain SET state = 'RUNNING' WHERE qid = 'q5'`);
    await run.apply(plan);
    assert.equal(plan[2]!.applied, true);
    assert.equal(plan[2]!.skipped, '3 of 6 row(s) left: their query changed status or they were deleted meanwhile');
    assert.deepEqual(await remaining(), { q5: 3, q7: 3, q8: 3, q9: 3 });
  } finally {
    await run.close();
  }
});

test('a failure half-way through a batch rolls that whole batch back; the other batches still run', async () => {
  await seed();
  // q4's second row refuses deletion: q3's rows, deleted just before in the same batch, must come back.
  await db.exec(`CREATE OR REPLACE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF OLD.callback_id = 'cb-q4-2' THEN RAISE EXCEPTION 'row % is held', OLD.callback_id; END IF; RETURN OLD; END $$;
    CREATE TRIGGER refuse BEFORE DELETE ON callbacks FOR EACH ROW EXECUTE FUNCTION refuse();`);
  const run = remediation(rw());
  await run.open();
  try {
    const plan = await run.plan();
    await run.apply(plan);
    assert.deepEqual(
      plan.map((a) => [a.applied, a.failed ?? false]),
      [
        [true, false],
        [false, true],
        [true, false],
      ],
    );
    assert.match(plan[1]!.skipped!, /^error: row cb-q4-2 is held/);
    assert.deepEqual(await remaining(), { q3: 3, q4: 3, q7: 3, q8: 3, q9: 3 });
  } finally {
    await run.close();
  }
});

test("the exporter's read-only role is refused on the first batch: nothing deleted, the rest not attempted", async () => {
  await seed();
  const run = remediation('');
  await run.open();
  try {
    const plan = await run.plan();
    assert.equal(plan.length, 3, 'the read-only role can plan');
    await run.apply(plan);
    assert.match(plan[0]!.skipped!, /^error: .*(permission denied|read-only transaction)/);
    assert.ok(plan[0]!.failed);
    for (const a of plan.slice(1)) assert.match(a.skipped!, /^not attempted: an earlier postgres write was refused/);
    assert.deepEqual(await remaining(), ALL);
  } finally {
    await run.close();
  }
});

test('an unreachable database is a source error without the password', async () => {
  const run = remediation(`  postgres: { url: "postgres://fleet_remediate@127.0.0.1:1/fleet", password: "${RW_PASSWORD}" }\n`);
  await run.open();
  try {
    assert.deepEqual(await run.plan(), []);
    assert.equal(run.errors.length, 1);
    assert.match(run.errors[0]!, /^postgres: .*ECONNREFUSED/);
    assert.ok(!run.errors[0]!.includes(RW_PASSWORD));
  } finally {
    await run.close();
  }
});
