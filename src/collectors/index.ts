import type { z } from 'zod';
import { runsSource, UNSHARDED, type Shard, type ShardingConfig, type UnsplitSource } from '../shard.js';
import type { Collector } from './types.js';
import { RedisCollector } from './redis/index.js';
import { redisSchema } from './redis/schema.js';
import { PostgresCollector } from './postgres/index.js';
import { postgresSchema } from './postgres/schema.js';
import { DaytonaCollector } from './daytona/index.js';
import { daytonaSchema } from './daytona/schema.js';
import { AwsCollector } from './aws/index.js';
import { awsSchema } from './aws/schema.js';

/** One source: its config section's schema and how to build its collector from that section (and this exporter's shard). */
const source = <S extends z.ZodType>(schema: S, create: (config: z.infer<S>, shard: Shard) => Collector) => ({ schema, create });

/**
 * The one registry of sources: name (config key, `collector` label, folder)
 * → schema and collector. The config schema, the CLI and the scrape engine
 * all read it, so a new collector is added here and nowhere else.
 */
export const SOURCES = {
  redis: source(redisSchema, (c, shard) => new RedisCollector(c, shard)),
  postgres: source(postgresSchema, (c) => new PostgresCollector(c)),
  daytona: source(daytonaSchema, (c) => new DaytonaCollector(c)),
  aws: source(awsSchema, (c) => new AwsCollector(c)),
};

export type SourceName = keyof typeof SOURCES;
export const SOURCE_NAMES = Object.keys(SOURCES) as SourceName[];
export type SourceConfigs = { [K in SourceName]?: z.infer<(typeof SOURCES)[K]['schema']> };

/** Each source's config section, optional. */
export const sourceSchemas = Object.fromEntries(SOURCE_NAMES.map((name) => [name, SOURCES[name].schema.optional()])) as {
  [K in SourceName]: z.ZodOptional<(typeof SOURCES)[K]['schema']>;
};

/** The sources a config names, in registry order. */
export function configuredSources(config: SourceConfigs): SourceName[] {
  return SOURCE_NAMES.filter((name) => config[name] !== undefined);
}

/**
 * A collector for every source the config names; a source absent from the
 * config is not started. Sharded, Redis reads the shard's worker types and
 * the other sources run on shard 0 only, unless configured (src/shard.ts).
 */
export function createCollectors(config: SourceConfigs & { sharding: ShardingConfig }, shard: Shard = UNSHARDED): Collector[] {
  return configuredSources(config)
    .filter((name) => name === 'redis' || runsSource(shard, name as UnsplitSource, config.sharding))
    .map((name) => (SOURCES[name].create as (c: unknown, shard: Shard) => Collector)(config[name], shard));
}
