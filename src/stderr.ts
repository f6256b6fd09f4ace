import { format } from 'node:util';
import type { Logger } from './log.js';
import { redact } from './redact.js';

/**
 * Replaces Node's default report of an uncaught exception or unhandled
 * rejection, which prints every property of the error (a URL error's
 * `input`, with its password), by one redacted line: JSON once the logger
 * exists, plain text before. The process still exits: its state is unknown.
 */
export function exitOnUncaught(logger: () => Logger | undefined): void {
  const die = (what: string) => (err: unknown) => {
    const error = redact(err instanceof Error ? (err.stack ?? err.message) : String(err));
    const log = logger();
    if (log) log.fatal({ error }, what);
    else process.stderr.write(`fleet-exporter: ${what}: ${error}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled rejection'));
}

/**
 * Libraries print to the console (ioredis: "[WARN] … a password was
 * supplied", "[ioredis] Unhandled error event: …"); those lines would break
 * the JSON log on stderr, so they become warnings in it, redacted.
 */
export function consoleToLog(log: Logger): void {
  const warn = (...args: unknown[]) => log.warn({ source: 'console' }, redact(format(...args)));
  console.warn = warn;
  console.error = warn;
}
