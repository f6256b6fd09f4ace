import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExporterProcess, REPO_ROOT } from './helpers/exporter.js';

test('fleet_exporter_build_info carries the version, the git commit of the build and the Node.js version', async () => {
  const { revision } = JSON.parse(readFileSync(join(REPO_ROOT, 'dist/src/build-info.json'), 'utf8')) as { revision: string };
  // npm run build in a checkout records its HEAD (the image records its REVISION build arg: test/dockerfile.test.ts);
  // commits made since the build leave it an ancestor of HEAD.
  assert.match(revision, /^[0-9a-f]{40}$/);
  execFileSync('git', ['merge-base', '--is-ancestor', revision, 'HEAD'], { cwd: REPO_ROOT });
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const e = await ExporterProcess.start({ redis: { url: 'redis://127.0.0.1:1/0' } });
  try {
    const { body } = await e.text('/metrics');
    assert.match(body, new RegExp(`^fleet_exporter_build_info\\{version="${version}",revision="${revision}",nodejs_version="${process.version}"\\} 1$`, 'm'));
  } finally {
    await e.stop();
  }
});
