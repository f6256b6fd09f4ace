import { readFileSync, writeFileSync } from 'node:fs';
import { configJsonSchema, configMarkdown } from './config-docs.js';

/** Files generated from the code; `--check` exits 1 when a committed one differs. */
export function generatedDocs(): [string, string][] {
  return [
    ['docs/configuration.md', configMarkdown()],
    ['docs/config.schema.json', JSON.stringify(configJsonSchema(), null, 2) + '\n'],
  ];
}

const root = new URL('../../', import.meta.url);
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, content] of generatedDocs()) {
    let current: string | undefined;
    try {
      current = readFileSync(new URL(path, root), 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    if (check) {
      stale++;
      process.stderr.write(`out of date: ${path} (run npm run generate)\n`);
    } else {
      writeFileSync(new URL(path, root), content);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  process.exit(stale > 0 ? 1 : 0);
}
