import type { Config } from '../config/schema.js';
import type { Collector } from './types.js';
import { RedisCollector } from './redis/index.js';

/**
 * The explicit list of collectors: config key → implementation. A source
 * that is absent from the config is not started.
 */
export function createCollectors(config: Config): Collector[] {
  const collectors: Collector[] = [];
  if (config.redis) collectors.push(new RedisCollector(config.redis));
  return collectors;
}
