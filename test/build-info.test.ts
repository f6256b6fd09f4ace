import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExporterProcess, REPO_ROOT } from './helpers/exporter.js';

test('fleet_exporter_build_info carries the version, the git commit of the build and the Node.js version', async () => {
  const { revision } = JSON.parse(readFileSync(join(REPO_ROOT, 'dist/src/build-info.json'), 'utf8')) as { revision: string };
  // npm run build in a checkout records HEAD (the image records its REVISION build arg: test/dockerfile.test.ts).
  assert.equal(revision, execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim());
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const e = await ExporterProcess.start({});
  try {
    const { body } = await e.text('/metrics');
    assert.match(body, new RegExp(`^fleet_exporter_build_info\\{version="${version}",revision="${revision}",nodejs_version="${process.version}"\\} 1$`, 'm'));
  } finally {
    await e.stop();
  }
});
