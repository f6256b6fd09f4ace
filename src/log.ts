import pino from 'pino';
import { redact } from './redact.js';

export type Logger = pino.Logger;

export const LOG_FORMATS = ['json', 'logfmt'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Logs on stderr (stdout stays free for --check-config output), as JSON or
 * logfmt. Every message and error string passes through redact() before
 * either format sees it: secrets never reach logs.
 */
export function createLogger(level: string = 'info', format: LogFormat = 'json'): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ['password', '*.password', 'api_key', '*.api_key', 'url', '*.url'], censor: '[REDACTED]' },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
      formatters: {
        log(obj) {
          for (const [k, v] of Object.entries(obj)) if (typeof v === 'string') obj[k] = redact(v);
          return obj;
        },
      },
    },
    format === 'logfmt' ? logfmtDestination() : pino.destination(2),
  );
}

/** pino's stderr destination (it copes with a full pipe), fed logfmt instead of JSON. */
function logfmtDestination(): { write(line: string): void } {
  const stderr = pino.destination(2);
  return { write: (line) => void stderr.write(toLogfmt(JSON.parse(line) as Record<string, unknown>) + '\n') };
}

/**
 * One pino JSON record as a logfmt line: time, level, msg first, nested
 * objects flattened to dotted keys. Written here rather than with the npm
 * `logfmt` package, which leaves newlines (stack traces) unescaped and so
 * splits one record over several lines.
 */
export function toLogfmt(record: Record<string, unknown>): string {
  const { time, level, msg, ...rest } = record;
  const pairs: [string, unknown][] = [
    ['time', typeof time === 'number' ? new Date(time).toISOString() : time],
    ['level', typeof level === 'number' ? (pino.levels.labels[level] ?? level) : level],
  ];
  if (msg !== undefined) pairs.push(['msg', msg]);
  const flatten = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) flatten(`${prefix}.${k}`, v);
    } else pairs.push([prefix, value]);
  };
  for (const [k, v] of Object.entries(rest)) flatten(k, v);
  return pairs.map(([k, v]) => `${k}=${logfmtValue(v)}`).join(' ');
}

function logfmtValue(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : Array.isArray(v) ? JSON.stringify(v) : String(v);
  // Quote (with JSON's escapes) when a value would otherwise be ambiguous, as go-logfmt does.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be quoted
  return s === '' || /[\s="\\\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s) : s;
}
