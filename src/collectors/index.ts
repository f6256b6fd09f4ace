import type { Config } from '../config/schema.js';
import type { Collector } from './types.js';
import { RedisCollector } from './redis/index.js';
import { PostgresCollector } from './postgres/index.js';
import { DaytonaCollector } from './daytona/index.js';
import { AwsCollector } from './aws/index.js';

/**
 * The explicit list of collectors: config key → implementation. A source
 * that is absent from the config is not started.
 */
export function createCollectors(config: Config): Collector[] {
  const collectors: Collector[] = [];
  if (config.redis) collectors.push(new RedisCollector(config.redis));
  if (config.postgres) collectors.push(new PostgresCollector(config.postgres));
  if (config.daytona) collectors.push(new DaytonaCollector(config.daytona));
  if (config.aws) collectors.push(new AwsCollector(config.aws));
  return collectors;
}
