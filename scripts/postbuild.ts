import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';

// npm links the bin to this file; it must be executable when run from a checkout.
chmodSync(new URL('../src/main.js', import.meta.url), 0o755);

/** The commit being built: $REVISION (the image's build arg), else git's HEAD, else unknown. */
function revision(): string {
  if (process.env.REVISION && process.env.REVISION !== 'unknown') return process.env.REVISION;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('../..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim();
  } catch {
    return 'unknown'; // no git, or not a checkout (a source tarball)
  }
}

// Beside the compiled sources, so the runtime image (which copies only dist/src) carries it.
writeFileSync(new URL('../src/build-info.json', import.meta.url), `${JSON.stringify({ revision: revision() })}\n`);
