import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './exporter.js';

/** Debian's python3, where test/run.sh installs python3-redis and python3-prometheus-client. */
export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
export const PYTHON_CLIENT_DIR = join(REPO_ROOT, 'clients/python');

const PARSE_OPENMETRICS = `
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    print(family.name, family.type, len(family.samples))
`;

/**
 * Runs prometheus_client's OpenMetrics parser (strict: histogram bucket order,
 * +Inf = _count, name clashes, # EOF) over the text.
 */
export function parseOpenMetricsStrict(text: string): { ok: boolean; output: string } {
  const r = spawnSync(PYTHON, ['-c', PARSE_OPENMETRICS], { input: text, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
