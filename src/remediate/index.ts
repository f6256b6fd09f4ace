import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { jsonLine, summaryLine, textLine, type Action } from './action.js';
import { missingSources, Remediation, SOURCE_OF } from './run.js';
import { ACTIONS, remediateSchema, type ActionName } from './schema.js';

export const REMEDIATE_USAGE = `Usage: fleet-exporter remediate --config FILE [--apply] [--only ACTION[,ACTION]] [--stream GLOB]
                                [--max-actions N] [--json]

Acts on what the alerts find. Without --apply it only plans: it prints every
action it would take and changes nothing. Before each write it re-reads the
facts for that object and skips it (with the reason) if they changed.

Actions (config remediate.actions switches them; docs/remediate.md):
  dead_letter          entries delivered >= max_deliveries times: copy to the dead-letter stream, ack
  requeue              entries pending on consumers without heartbeat: claim for a live consumer,
                       or re-add to the stream and ack (one group, no live consumer)
  delete_consumer      phantom consumers: no heartbeat, no shutdown marker, 0 pending, long idle
  trim                 XTRIM MINID to the oldest entry any group still needs
  reap_callbacks       Postgres callback rows of finished queries (shepherd preset tables)
  stop_idle_sandboxes  Daytona sandboxes idle long enough whose labels match sandbox_labels

Options:
  -c, --config FILE      YAML config file (env FLEET_CONFIG), the exporter's own
      --apply            change things (default: plan only)
      --only LIST        comma-separated actions to consider
      --stream GLOB      only streams matching this glob
      --max-actions N    plan at most N actions (default: remediate.max_actions)
      --json             one JSON line per action on stdout; the summary goes to stderr
  -h, --help             print this help and exit

Exit status: 0 every planned action was applied or safely skipped; 1 errors
(a source unreachable, a write refused or failed); 2 bad config or usage.
`;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const stdio: Io = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** `fleet-exporter remediate …`: resolves to the exit status. */
export async function runRemediate(argv: string[], io: Io = stdio, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const usage = (msg: string) => (io.err(`fleet-exporter remediate: ${msg}`), 2);
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        apply: { type: 'boolean' },
        only: { type: 'string' },
        stream: { type: 'string' },
        'max-actions': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    return usage(`${(err as Error).message}\n\n${REMEDIATE_USAGE}`);
  }
  if (args.help) {
    io.out(REMEDIATE_USAGE.trimEnd());
    return 0;
  }
  const file = args.config ?? env.FLEET_CONFIG;
  if (!file) return usage('no config file: pass --config FILE or set FLEET_CONFIG');

  let config: Config;
  try {
    config = loadConfig(file, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`fleet-exporter remediate: invalid config ${err.file} (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}):`);
    for (const p of err.problems) io.err(p);
    return 2;
  }
  const cfg = config.remediate ?? remediateSchema.parse({});

  let only: Set<ActionName> | undefined;
  if (args.only !== undefined) {
    const names = args.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !(ACTIONS as readonly string[]).includes(n));
    if (unknown.length > 0 || names.length === 0) return usage(`--only: unknown action(s) ${unknown.join(', ') || '(none given)'}; known: ${ACTIONS.join(', ')}`);
    only = new Set(names as ActionName[]);
    const missing = missingSources(config, only);
    if (missing.length > 0) return usage(`--only: ${missing.join('; ')} in the config`);
    const off = [...only].filter((a) => !cfg.actions[a]);
    if (off.length > 0) io.err(`fleet-exporter remediate: switched off in remediate.actions, not planned: ${off.join(', ')}`);
  }
  let maxActions = cfg.max_actions;
  if (args['max-actions'] !== undefined) {
    maxActions = Number(args['max-actions']);
    if (!Number.isInteger(maxActions) || maxActions < 1) return usage(`--max-actions must be a positive integer, not "${args['max-actions']}"`);
  }

  const actions = new Set(ACTIONS.filter((a) => cfg.actions[a] && (!only || only.has(a)) && (only || config[SOURCE_OF[a]] !== undefined)));
  if (actions.has('stop_idle_sandboxes') && Object.keys(cfg.sandbox_labels).length === 0 && only?.has('stop_idle_sandboxes')) {
    io.err('fleet-exporter remediate: stop_idle_sandboxes: remediate.sandbox_labels is empty, so no sandbox is ever stopped');
  }

  const run = new Remediation(config, { actions, stream: args.stream, maxActions });
  const print = (a: Action) => io.out(args.json ? jsonLine(a) : textLine(a, Boolean(args.apply)));
  try {
    await run.open();
    const planned = await run.plan();
    if (args.apply) await run.apply(planned, print);
    else planned.forEach(print);
    for (const e of run.errors) io.err(`fleet-exporter remediate: ${e}`);
    const summary = summaryLine(planned, Boolean(args.apply), run.notPlanned, run.errors.length);
    (args.json ? io.err : io.out)(summary);
    return run.errors.length > 0 || planned.some((a) => a.failed) ? 1 : 0;
  } finally {
    await run.close();
  }
}
