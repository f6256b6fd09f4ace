import type { Config } from '../config/schema.js';
import { runsSource, UNSHARDED, type Shard } from '../shard.js';
import type { Collector } from './types.js';
import { RedisCollector } from './redis/index.js';
import { PostgresCollector } from './postgres/index.js';
import { DaytonaCollector } from './daytona/index.js';
import { AwsCollector } from './aws/index.js';

/**
 * The explicit list of collectors: config key → implementation. A source
 * that is absent from the config is not started. Sharded, Redis reads the
 * shard's worker types and the other sources run on shard 0 only (src/shard.ts).
 */
export function createCollectors(config: Config, shard: Shard = UNSHARDED): Collector[] {
  const collectors: Collector[] = [];
  const runs = (source: 'postgres' | 'daytona' | 'aws') => runsSource(shard, source, config.sharding);
  if (config.redis) collectors.push(new RedisCollector(config.redis, shard));
  if (config.postgres && runs('postgres')) collectors.push(new PostgresCollector(config.postgres));
  if (config.daytona && runs('daytona')) collectors.push(new DaytonaCollector(config.daytona));
  if (config.aws && runs('aws')) collectors.push(new AwsCollector(config.aws));
  return collectors;
}
