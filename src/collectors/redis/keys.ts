import type { RawNames, RedisName } from './names.js';

/** Heartbeat key templates: `worker:heartbeat:{worker_type}:{worker_id}`. */
export class KeyTemplate {
  private readonly regex: RegExp;
  readonly scanPattern: string;
  /** format() by concatenation: it runs once per consumer on every scrape. */
  private readonly concat: (type: string, id: string) => string;

  private readonly parts: string[];

  constructor(readonly template: string) {
    const parts = template.split(/(\{worker_type\}|\{worker_id\})/);
    this.parts = parts;
    this.concat = (type, id) => {
      let out = '';
      for (const p of parts) out += p === '{worker_type}' ? type : p === '{worker_id}' ? id : p;
      return out;
    };
    this.scanPattern = parts.map((p) => (p === '{worker_type}' || p === '{worker_id}' ? '*' : p.replace(/[*?[\]\\]/g, '\\$&'))).join('');
    // The type is matched lazily and the id greedily: ids (host:pid) contain
    // colons more often than type names do.
    const re = parts
      .map((p) => {
        if (p === '{worker_type}') return '(?<type>.+?)';
        if (p === '{worker_id}') return '(?<id>.+)';
        return p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    this.regex = new RegExp(`^${re}$`, 's');
  }

  format(workerType: string, workerId: string): string {
    return this.concat(workerType, workerId);
  }

  /** The key as commands send it: bytes where the type or id is a name that is not UTF-8 (names.ts). */
  formatArg(workerType: string, workerId: string, names: RawNames): RedisName {
    if (names.size === 0 || !(names.has(workerType) || names.has(workerId))) return this.concat(workerType, workerId);
    const arg = (p: string) => (p === '{worker_type}' ? names.arg(workerType) : p === '{worker_id}' ? names.arg(workerId) : p);
    return Buffer.concat(this.parts.map((p) => Buffer.from(arg(p))));
  }

  parse(key: string): { workerType: string; workerId: string } | undefined {
    const m = this.regex.exec(key);
    if (!m?.groups) return undefined;
    return { workerType: m.groups.type!, workerId: m.groups.id! };
  }
}
