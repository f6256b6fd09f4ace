import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PYTHON, PYTHON_CLIENT_DIR } from './helpers/python.js';

test('the Python worker helper passes its own tests against a real redis-server', () => {
  const r = spawnSync(PYTHON, ['-m', 'unittest', '-v', 'test_fleet_worker'], {
    cwd: PYTHON_CLIENT_DIR,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /Ran [1-9]\d* tests/);
});
