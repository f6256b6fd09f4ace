#!/usr/bin/env -S node --heap-growing-percent=100
// The old generation may grow to twice its live size before a full GC, not up to
// 4x: each scrape of a big fleet leaves its worker table and metric families
// behind, and this keeps memory near what the fleet needs (docs/benchmarks.md).
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { configuredSources, createCollectors } from './collectors/index.js';
import { ConfigError, loadConfig } from './config/load.js';
import { DEFAULT_LISTEN, listenSchema, type Config } from './config/schema.js';
import { consoleToLog, exitOnUncaught } from './stderr.js';
import { createLogger, LOG_FORMATS, type LogFormat, type Logger } from './log.js';
import { parseShard, type Shard } from './shard.js';
import { ScrapeEngine } from './scrape.js';
import { createApp } from './server.js';
import { VERSION } from './version.js';
import { createWebServer, loadWebConfig, type WebSettings } from './web-config/index.js';

const USAGE = `Usage: fleet-exporter --config FILE [--listen HOST:PORT] [--web.config.file FILE]
                      [--log-level LEVEL] [--log-format json|logfmt]
                      [--shard I --total-shards N | --shard-from-hostname --total-shards N]
       fleet-exporter --check-config --config FILE [--web.config.file FILE]
       fleet-exporter remediate --config FILE [--apply] …   (see remediate --help)
       fleet-exporter --version

A stateless Prometheus exporter for worker fleets: Redis Streams, worker
heartbeats, Postgres, Daytona sandboxes and EC2 instances.

Options:
  -c, --config FILE        YAML config file (env FLEET_CONFIG)
  -l, --listen HOST:PORT   address to serve /metrics on (env FLEET_LISTEN;
                           default: the config's listen, else ${DEFAULT_LISTEN})
      --web.config.file FILE
                           TLS, client certificates and basic auth for every
                           endpoint, in exporter-toolkit's format (env
                           FLEET_WEB_CONFIG_FILE; docs/web-config.md)
      --check-config       validate the config (and web config) and exit (connects nowhere)
      --log-level LEVEL    trace|debug|info|warn|error (overrides the config)
      --log-format FORMAT  json (default) or logfmt
      --shard I            this exporter's shard, 0 <= I < N (env FLEET_SHARD)
      --total-shards N     number of shards; worker types are split among them
                           by a stable hash (env FLEET_TOTAL_SHARDS; docs/scaling.md)
      --shard-from-hostname  the shard is the hostname's -ORDINAL suffix, as in
                           a StatefulSet pod (env FLEET_SHARD_FROM_HOSTNAME=true)
  -v, --version            print the version and exit
  -h, --help               print this help and exit

Endpoints: /metrics, /healthz, /readyz, / (status page).
Docs: README.md, docs/configuration.md, docs/metrics.md.
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`fleet-exporter: ${message}\n`);
  process.exit(code);
}

function parseListen(listen: string): { host: string; port: number } {
  const parsed = listenSchema.safeParse(listen);
  if (!parsed.success) fail(`invalid listen address "${listen}": must be HOST:PORT`);
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0';
  const port = Number(listen.slice(i + 1));
  if (port > 65535) fail(`invalid listen address "${listen}": port out of range`);
  return { host, port };
}

let crashLog: Logger | undefined;
exitOnUncaught(() => crashLog);

/** Flags win over env, as for --config and --listen. */
function shardFrom(args: { shard?: string; 'total-shards'?: string; 'shard-from-hostname'?: boolean }): Shard {
  const env = process.env;
  const parsed = parseShard({
    shard: args.shard ?? (args['shard-from-hostname'] ? undefined : env.FLEET_SHARD || undefined),
    totalShards: args['total-shards'] ?? (env.FLEET_TOTAL_SHARDS || undefined),
    fromHostname: args['shard-from-hostname'] ?? env.FLEET_SHARD_FROM_HOSTNAME === 'true',
    hostname: env.HOSTNAME || hostname(),
  });
  if ('problems' in parsed) fail(`invalid sharding:\n${parsed.problems.map((p) => `  ${p}`).join('\n')}`);
  return parsed.shard;
}

function main(): void {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        listen: { type: 'string', short: 'l' },
        'check-config': { type: 'boolean' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string', default: 'json' },
        'web.config.file': { type: 'string' },
        shard: { type: 'string' },
        'total-shards': { type: 'string' },
        'shard-from-hostname': { type: 'boolean' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.version) {
    process.stdout.write(`fleet-exporter ${VERSION} (node ${process.version})\n`);
    return;
  }

  const logFormat = args['log-format'] as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) fail(`invalid --log-format "${logFormat}": one of ${LOG_FORMATS.join(', ')}`);
  const configFile = args.config ?? process.env.FLEET_CONFIG;
  if (!configFile) fail(`no config file: pass --config FILE or set FLEET_CONFIG\n\n${USAGE}`);

  const webConfigFile = args['web.config.file'] ?? process.env.FLEET_WEB_CONFIG_FILE;
  // Both files are validated before either is reported, so one run shows every problem.
  const errors: ConfigError[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err);
      return undefined;
    }
  };
  const loaded = attempt(() => loadConfig(configFile));
  const web: WebSettings | undefined = webConfigFile ? attempt(() => loadWebConfig(webConfigFile)) : undefined;
  for (const err of errors) {
    process.stderr.write(`fleet-exporter: invalid config ${err.file} (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}):\n`);
    for (const p of err.problems) process.stderr.write(`${p}\n`);
  }
  if (errors.length > 0 || !loaded) process.exit(1);
  const config: Config = loaded;

  const listen = args.listen ?? process.env.FLEET_LISTEN ?? config.listen ?? DEFAULT_LISTEN;
  const { host, port } = parseListen(listen);
  const shard = shardFrom(args);
  const sources = configuredSources(config);

  if (args['check-config']) {
    const webNote = webConfigFile ? `; web config ${webConfigFile} is valid` : '';
    const sharding = shard.total > 1 ? `; shard ${shard.index} of ${shard.total}` : '';
    process.stdout.write(`config ${configFile} is valid; sources: ${sources.join(', ')}; listen: ${listen}${sharding}${webNote}\n`);
    return;
  }

  const log = createLogger(args['log-level'] ?? config.log_level, logFormat);
  crashLog = log;
  consoleToLog(log);
  const collectors = createCollectors(config, shard);
  const engine = new ScrapeEngine(collectors, log, config.scrape_timeout_seconds);
  const app = createApp(engine, { log, scrapeTimeoutSeconds: config.scrape_timeout_seconds, shard });
  const server = createWebServer(app, web, log).listen(port, host);
  server.on('error', (err: NodeJS.ErrnoException) => {
    log.fatal({ listen, error: err.message }, 'cannot listen');
    process.exit(1);
  });
  server.on('listening', () => {
    engine.start();
    const auth = { tls: web?.tls !== undefined, basic_auth_users: web?.users.size ?? 0 };
    const running = collectors.map((c) => c.name);
    log.info({ listen, version: VERSION, sources: running, shard: shard.index, totalShards: shard.total, ...auth }, 'fleet-exporter listening');
  });

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    server.close();
    void engine.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[2] === 'remediate') {
  // Loaded only for this subcommand: the exporter's start-up does not pay for it. Exit once stdout
  // has drained: client timers (command timeouts) would keep the process up for seconds.
  void import('./remediate/index.js').then(({ runRemediate }) => runRemediate(process.argv.slice(3))).then((code) => process.stdout.write('', () => process.exit(code)));
} else main();
