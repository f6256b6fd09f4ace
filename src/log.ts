import pino from 'pino';
import { redact } from './redact.js';

export type Logger = pino.Logger;

/**
 * JSON logs on stderr (stdout stays free for --check-config output).
 * Every message and error string passes through redact(): secrets never reach logs.
 */
export function createLogger(level: string = 'info'): Logger {
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
    pino.destination(2),
  );
}
