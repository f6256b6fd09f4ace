import type { RedisClient } from './client.js';
import type { TaskMetricsConfig } from './schema.js';
import type { TaskMetricsInput } from './tasks.js';

const fill = (template: string, workerType: string) => template.replaceAll('{worker_type}', workerType);

/**
 * One HGETALL per worker type (and, when configured, one LRANGE of its
 * latency list): never a SCAN, so the cost grows with the worker types, not
 * the keyspace. A key of another type is counted as malformed, not thrown.
 */
export async function readTaskMetrics(client: RedisClient, workerTypes: readonly string[], cfg: TaskMetricsConfig): Promise<TaskMetricsInput> {
  const input = { hashes: new Map<string, Record<string, string>>(), recent: new Map<string, string[]>(), wrongType: new Map<string, number>() };
  const wrong = (type: string) => (e: Error) => {
    if (!/WRONGTYPE/.test(e.message)) throw e;
    input.wrongType.set(type, (input.wrongType.get(type) ?? 0) + 1);
  };
  const listKey = cfg.latency_list_key;
  await Promise.all(
    workerTypes.flatMap((type) => [
      client.hgetall(fill(cfg.key, type)).then((h) => void input.hashes.set(type, h), wrong(type)),
      ...(listKey ? [client.lrange(fill(listKey, type), 0, cfg.latency_list_samples - 1).then((l) => void input.recent.set(type, l), wrong(type))] : []),
    ]),
  );
  return input;
}
