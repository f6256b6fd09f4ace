/**
 * The one generator: every committed generated file, from its sources.
 *
 *   node dist/scripts/generate.js                  write what differs (npm run generate)
 *   node dist/scripts/generate.js --check          write nothing; exit 1 listing stale files (npm run generate:check)
 *   --thresholds FILE   a team's thresholds, merged over rules/thresholds.yml (see rules/thresholds.example.yml)
 *   --out DIR           treat DIR as the repository root for the generated files
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboards, dashboardFiles, dashboardSpecs, panelFinder } from '../grafana/src/index.js';
import { ruleFiles } from '../rules/src/index.js';
import { loadThresholds, REPO_ROOT } from '../rules/src/thresholds.js';
import { configJsonSchema, configMarkdown } from './config-docs.js';
import { kubernetesFiles } from './kubernetes.js';
import { metricsReference } from './metrics-docs.js';
import { mixinFiles } from './mixin.js';

/** Every generated file: path relative to the repository root -> content. */
export function generatedFiles(thresholds?: string, root = fileURLToPath(REPO_ROOT)): Map<string, string> {
  const t = loadThresholds(thresholds);
  const built = buildDashboards(dashboardSpecs(t));
  const rules = ruleFiles(t, panelFinder(built));
  const sources = new Map([...rules.files, ...dashboardFiles(built)]);
  return new Map([
    ...sources,
    ...kubernetesFiles(sources),
    ...mixinFiles(t, sources, (s) => ruleFiles(s, panelFinder(built)).files),
    ['grafana/src/alert-panels.json', `${JSON.stringify(rules.alertPanels, null, 2)}\n`],
    ['docs/configuration.md', configMarkdown()],
    ['docs/config.schema.json', `${JSON.stringify(configJsonSchema(), null, 2)}\n`],
    // Its rows come from a live exposition (see metrics-docs.ts): kept from the copy under root, else the repository's.
    ['docs/metrics.md', metricsReference(readOrEmpty(resolve(root, 'docs/metrics.md')) || readOrEmpty(fileURLToPath(new URL('docs/metrics.md', REPO_ROOT))))],
  ]);
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Writes (or, with check, only lists) the files that differ under root; returns those paths. */
export function writeOrCheck(files: Map<string, string>, root: string, check: boolean): string[] {
  const stale: string[] = [];
  for (const [path, content] of files) {
    const file = resolve(root, path);
    if (readOrEmpty(file) === content) continue;
    stale.push(path);
    if (!check) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
  return stale;
}

function main(argv: string[]): number {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const check = argv.includes('--check');
  const root = resolve(opt('--out') ?? fileURLToPath(REPO_ROOT));
  let files: Map<string, string>;
  try {
    files = generatedFiles(opt('--thresholds'), root);
  } catch (err) {
    process.stderr.write(`generate: ${(err as Error).message}\n`);
    return 2;
  }
  const stale = writeOrCheck(files, root, check);
  for (const path of stale) process.stdout.write(`${check ? 'out of date' : 'wrote'}: ${path}\n`);
  if (check && stale.length > 0) {
    process.stderr.write('generated files differ from their sources: run npm run generate\n');
    return 1;
  }
  if (stale.length === 0) process.stdout.write(`${files.size} generated files are up to date\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) process.exitCode = main(process.argv.slice(2));
