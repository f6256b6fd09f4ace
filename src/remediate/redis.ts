import type { RedisClient } from '../collectors/redis/client.js';
import type { Action } from './action.js';
import type { Workers } from './facts.js';
import { DEAD_LETTER, DELETE_CONSUMER, REQUEUE, TRIM } from './scripts.js';

type Sorted = [ok: string[], gone: string[], moved: string[], fresh: string[], missing: string[]];

/** "N of M ids: why" for each id list a script set aside. */
function describeLeftOut([ok, gone, moved, fresh, missing]: Sorted, freshWhy: string): string | null {
  const total = ok.length + gone.length + moved.length + fresh.length + missing.length;
  const parts: string[] = [];
  const add = (ids: string[], why: string) => ids.length > 0 && parts.push(`${ids.length} of ${total} id(s) ${why} (${ids.join(' ')})`);
  add(gone, 'no longer pending: acknowledged meanwhile');
  add(moved, 'now pending on another consumer');
  add(fresh, freshWhy);
  add(missing, 'deleted from the stream: nothing to re-add, left pending');
  return parts.length > 0 ? parts.join('; ') : null;
}

/**
 * Applies one Redis action after re-reading its facts. Heartbeats are read
 * first (a consumer that came back is left alone, entries and all); the
 * stream-side facts are re-checked inside the script that writes.
 */
export async function applyRedisAction(client: RedisClient, workers: Workers, a: Action): Promise<void> {
  const stream = a.stream!;
  const group = a.group!;
  switch (a.action) {
    case 'delete_consumer': {
      const p = a.params as { minIdleMs: number };
      const { alive, marker } = await workers.lookup(client, stream, [a.consumer!]);
      if (alive[0]) return void (a.skipped = 'the consumer has a heartbeat again');
      if (marker[0]) return void (a.skipped = 'the consumer wrote a shutdown marker');
      const [status, why] = (await client.eval(DELETE_CONSUMER, 1, stream, group, a.consumer!, p.minIdleMs)) as [string, string?];
      if (status === 'ok') a.applied = true;
      else a.skipped = why!;
      return;
    }
    case 'requeue': {
      const p = a.params as { minIdleMs: number; target?: string };
      const who = [a.consumer!, ...(p.target ? [p.target] : [])];
      const { alive } = await workers.lookup(client, stream, who);
      if (alive[0]) return void (a.skipped = 'the consumer has a heartbeat again: its entries stay with it');
      if (p.target && !alive[1]) return void (a.skipped = `the target consumer ${p.target} has no heartbeat any more`);
      const sorted = (await client.eval(REQUEUE, 1, stream, group, a.consumer!, p.target ?? '', p.minIdleMs, ...a.ids)) as Sorted;
      a.applied = sorted[0].length > 0;
      a.skipped = describeLeftOut(sorted, 'idle below the threshold now (someone read or claimed them)');
      return;
    }
    case 'dead_letter': {
      const p = a.params as { minDeliveries: number; deadLetterKey: string };
      const sorted = (await client.eval(DEAD_LETTER, 2, stream, p.deadLetterKey, group, p.minDeliveries, ...a.ids)) as Sorted;
      a.applied = sorted[0].length > 0;
      a.skipped = describeLeftOut(sorted, 'delivered fewer times than the threshold now');
      return;
    }
    case 'trim': {
      const p = a.params as { minId: string };
      const [status, floor, removed] = (await client.eval(TRIM, 1, stream, p.minId)) as [string, string, number];
      if (status !== 'ok') return void (a.skipped = floor);
      a.applied = floor === p.minId || removed > 0;
      a.reason += `; removed ${removed} entries`;
      if (floor !== p.minId) a.skipped = `a group needs older entries now: trimmed to ${floor} instead`;
      return;
    }
    default:
      throw new Error(`not a Redis action: ${a.action}`);
  }
}
