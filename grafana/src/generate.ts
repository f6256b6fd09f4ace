import { readFileSync, writeFileSync } from 'node:fs';
import { generatedFiles } from './index.js';
import { REPO_ROOT } from './thresholds.js';

/**
 * Writes dashboards/*.json and grafana/src/alert-panels.json from the sources
 * in grafana/src/ (and the thresholds in rules/thresholds.yml).
 * --check: write nothing, exit 1 if a committed file differs.
 */
const check = process.argv.includes('--check');
let stale = 0;
for (const [path, content] of generatedFiles()) {
  const url = new URL(path, REPO_ROOT);
  let current: string | undefined;
  try {
    current = readFileSync(url, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) continue;
  if (check) {
    stale++;
    process.stderr.write(`out of date: ${path}\n`);
  } else {
    writeFileSync(url, content);
    process.stdout.write(`wrote ${path}\n`);
  }
}
if (stale > 0) {
  process.stderr.write('run: npm run generate:dashboards\n');
  process.exit(1);
}
