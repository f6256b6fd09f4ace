import { readFileSync } from 'node:fs';

function readJson(rel: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The package version, read once from package.json next to the build. */
export const VERSION: string = ((readJson('../package.json') ?? readJson('../../package.json'))?.version as string | undefined) ?? 'unknown';

/** The git commit the build was made from (written by scripts/postbuild); 'unknown' when not recorded. */
export const REVISION: string = (readJson('./build-info.json')?.revision as string | undefined) ?? 'unknown';
