import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import express, { type Express } from 'express';
import type { Logger } from './log.js';
import type { MetricFamily } from './metrics/family.js';
import { negotiate, renderChunks } from './metrics/exposition.js';
import { ProcessMetrics } from './metrics/process.js';
import type { ScrapeEngine, ScrapeResult } from './scrape.js';
import { shardInfoFamily, UNSHARDED, type Shard } from './shard.js';
import { renderStatusPage } from './status-page.js';
import { REVISION, VERSION } from './version.js';
import { metric } from './metrics/names.js';

/** Margin left for rendering and the network inside Prometheus's scrape timeout. */
const SCRAPE_TIMEOUT_MARGIN_SECONDS = 0.5;

export function scrapeTimeout(header: string | undefined, configured: number): number {
  const fromPrometheus = Number(header);
  if (!header || !Number.isFinite(fromPrometheus) || fromPrometheus <= 0) return configured;
  return Math.max(0.1, Math.min(configured, fromPrometheus - SCRAPE_TIMEOUT_MARGIN_SECONDS));
}

/**
 * A response body from rendered chunks. Compressed as they are rendered: a
 * big fleet's exposition runs to megabytes of text, of which only the
 * compressed tenth is ever held whole. Prometheus asks for gzip; level 1
 * keeps it cheap, and zlib runs in its thread pool while the next chunk renders.
 */
async function responseBody(chunks: Iterable<string>, gzipped: boolean): Promise<Buffer> {
  const parts: Buffer[] = [];
  if (!gzipped) {
    for (const chunk of chunks) parts.push(Buffer.from(chunk));
  } else {
    await pipeline(Readable.from(chunks), createGzip({ level: 1 }), async (compressed: AsyncIterable<Buffer>) => {
      for await (const part of compressed) parts.push(part);
    });
  }
  return Buffer.concat(parts);
}

function buildInfo(): MetricFamily {
  return {
    name: metric.fleet_exporter_build_info,
    help: 'Always 1; labels carry the exporter version, the git commit it was built from and the Node.js version.',
    type: 'gauge',
    labelNames: ['version', 'revision', 'nodejs_version'],
    samples: [{ labelValues: [VERSION, REVISION, process.version], value: 1 }],
  };
}

export function createApp(engine: ScrapeEngine, opts: { log: Logger; scrapeTimeoutSeconds: number; shard?: Shard }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing a multi-megabyte exposition on every scrape buys nothing
  const processMetrics = new ProcessMetrics();
  const shardInfo = shardInfoFamily(opts.shard ?? UNSHARDED);

  // Concurrent scrapes share one collection (ScrapeResult), and so one rendering of it per format.
  const renderings = new WeakMap<ScrapeResult, Map<string, Promise<Buffer>>>();
  const exposition = (result: ScrapeResult, contentType: string, gzipped: boolean): Promise<Buffer> => {
    let byFormat = renderings.get(result);
    if (!byFormat) renderings.set(result, (byFormat = new Map()));
    const key = `${contentType};gzip=${gzipped}`;
    let body = byFormat.get(key);
    if (!body) {
      body = processMetrics.families().then((process) => responseBody(renderChunks([buildInfo(), shardInfo, ...result.families, ...process], contentType), gzipped));
      byFormat.set(key, body);
    }
    return body;
  };

  app.get('/metrics', async (req, res) => {
    const timeout = scrapeTimeout(req.get('X-Prometheus-Scrape-Timeout-Seconds'), opts.scrapeTimeoutSeconds);
    try {
      const result = await engine.scrape(timeout);
      const contentType = negotiate(req.get('Accept'));
      const gzipped = /\bgzip\b/.test(req.get('Accept-Encoding') ?? '');
      const body = await exposition(result, contentType, gzipped);
      res.set('Content-Type', contentType).set('Vary', 'Accept, Accept-Encoding');
      if (gzipped) res.set('Content-Encoding', 'gzip');
      res.send(body);
    } catch (err) {
      // Collectors cannot fail a scrape; this is a bug in the exporter itself.
      opts.log.error({ err }, 'scrape failed');
      res.status(500).type('text/plain').send('internal error while rendering metrics\n');
    }
  });

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });

  // Ready once every source has answered once; /healthz stays a liveness check.
  app.get('/readyz', (_req, res) => {
    if (engine.ready()) {
      res.type('text/plain').send('ready\n');
      return;
    }
    // Probes drive the first collections, so an exporter nobody scrapes yet still becomes ready.
    engine.scrape().catch((err: unknown) => opts.log.error({ err }, 'collection failed'));
    res
      .status(503)
      .type('text/plain')
      .send(`not ready: waiting for the first answer of ${engine.pendingCollectors().join(', ')}\n`);
  });

  app.get('/', async (req, res) => {
    const { families, statuses } = await engine.scrape(scrapeTimeout(undefined, opts.scrapeTimeoutSeconds));
    res.type('html').send(renderStatusPage({ version: VERSION, statuses, families, nowSeconds: Date.now() / 1000 }));
  });

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found; see / for the status page and /metrics\n');
  });
  return app;
}
