import type { ActionName } from './schema.js';

/**
 * One planned action and, after --apply, its outcome. The first eight fields
 * are the contract's JSON line; `params` is what the apply step needs.
 */
export interface Action {
  action: ActionName;
  stream: string | null;
  group: string | null;
  consumer: string | null;
  ids: string[];
  reason: string;
  applied: boolean;
  /** Why it was not (fully) applied: a fact that changed, or "error: …". Null when applied as planned. */
  skipped: string | null;
  params: ActionParams;
  /** Set when applying failed (not a safe skip): the run exits 1. */
  failed?: boolean;
}

export type ActionParams =
  { minIdleMs: number; target?: string } | { minDeliveries: number; deadLetterKey: string } | { minId: string } | { statuses: string[]; rows: number } | { idleMs: number };

/** The contract's JSON line: exactly these keys, in this order. */
export function jsonLine(a: Action): string {
  const { action, stream, group, consumer, ids, reason, applied, skipped } = a;
  return JSON.stringify({ action, stream, group, consumer, ids, reason, applied, skipped });
}

const shortIds = (ids: string[]) => (ids.length <= 3 ? ids.join(' ') : `${ids.slice(0, 3).join(' ')} … (${ids.length} ids)`);

/** One human-readable line. */
export function textLine(a: Action, apply: boolean): string {
  const where = [a.stream && `stream=${a.stream}`, a.group && `group=${a.group}`, a.consumer && `consumer=${a.consumer}`, a.ids.length > 0 && `ids=${shortIds(a.ids)}`]
    .filter(Boolean)
    .join(' ');
  const status = a.failed ? 'FAILED' : a.applied ? (a.skipped ? 'PARTLY' : 'APPLIED') : a.skipped || apply ? 'SKIPPED' : 'PLAN';
  const tail = a.skipped ? ` [${a.skipped}]` : '';
  return `${status.padEnd(7)} ${a.action.padEnd(19)} ${where}: ${a.reason}${tail}`;
}

/** The closing summary line. */
export function summaryLine(actions: readonly Action[], apply: boolean, notPlanned: number, errors: number): string {
  const byAction = new Map<string, number>();
  for (const a of actions) byAction.set(a.action, (byAction.get(a.action) ?? 0) + 1);
  const kinds = [...byAction].map(([k, n]) => `${k} ${n}`).join(', ');
  const parts = [`${actions.length} action(s)${kinds ? ` (${kinds})` : ''}`];
  if (apply) {
    parts.push(
      `${actions.filter((a) => a.applied).length} applied`,
      `${actions.filter((a) => !a.applied && a.skipped && !a.failed).length} skipped`,
      `${actions.filter((a) => a.failed).length} failed`,
    );
  } else parts.push('plan only, nothing changed (add --apply to act)');
  if (notPlanned > 0) parts.push(`${notPlanned} more not planned (--max-actions)`);
  if (errors > 0) parts.push(`${errors} source error(s)`);
  return `remediate: ${parts.join('; ')}`;
}
