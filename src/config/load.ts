import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { registerSecret } from '../redact.js';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

type Path = (string | number)[];

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
/** Keys whose values are secrets: redacted from logs and never exported. */
const SECRET_KEY = /(^|_)(password|api_key|secret|token)$/;

/** Expands ${VAR} and ${VAR:-default} in string values (never in keys, never in YAML syntax). */
function interpolate(value: unknown, path: Path, problems: string[], env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, def: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (def !== undefined) return def;
      problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, i], problems, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, [...path, k], problems, env)]));
  }
  return value;
}

/**
 * Replaces every `<name>_file: PATH` with `<name>: <file contents, trimmed>`,
 * so secrets can come from mounted files (Docker/Kubernetes secrets).
 */
function resolveFiles(value: unknown, path: Path, problems: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveFiles(v, [...path, i], problems));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.endsWith('_file') && typeof v === 'string') {
      const target = k.slice(0, -'_file'.length);
      if (target in value) {
        problems.push(`${formatPath([...path, k])}: set either ${target} or ${k}, not both`);
        continue;
      }
      try {
        out[target] = readFileSync(v, 'utf8').trim();
      } catch (err) {
        problems.push(`${formatPath([...path, k])}: cannot read ${v}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
    } else {
      out[k] = resolveFiles(v, [...path, k], problems);
    }
  }
  return out;
}

function registerSecrets(value: unknown, key = ''): void {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) registerSecret(value);
    try {
      const u = new URL(value);
      if (u.password) {
        registerSecret(decodeURIComponent(u.password));
        registerSecret(u.password);
      }
    } catch {
      /* not a URL */
    }
  } else if (Array.isArray(value)) value.forEach((v) => registerSecrets(v));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) registerSecrets(v, k);
}

/** One line per problem, with its key path (unknown keys one line each). */
export function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown key`);
  }
  return [`${formatPath(issue.path)}: ${issue.message}`];
}

/** Parses and validates config text; every problem is reported, each with its key path. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (err) {
    throw new ConfigError(file, [`YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, ['(root): must be a mapping']);

  const problems: string[] = [];
  const expanded = resolveFiles(interpolate(raw, [], problems, env), [], problems);
  registerSecrets(expanded);
  const result = configSchema.safeParse(expanded);
  if (!result.success) problems.push(...result.error.issues.flatMap(describeIssue));
  if (problems.length > 0) throw new ConfigError(file, problems);
  return result.data!;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read config file: ${(err as NodeJS.ErrnoException).code ?? err}`]);
  }
  return parseConfig(text, file, env);
}
