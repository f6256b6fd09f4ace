/** Heartbeat key templates: `worker:heartbeat:{worker_type}:{worker_id}`. */
export class KeyTemplate {
  private readonly regex: RegExp;
  readonly scanPattern: string;
  /** format() by concatenation: it runs once per consumer on every scrape. */
  private readonly concat: (type: string, id: string) => string;

  constructor(readonly template: string) {
    const parts = template.split(/(\{worker_type\}|\{worker_id\})/);
    this.concat = (type, id) => {
      let out = '';
      for (const p of parts) out += p === '{worker_type}' ? type : p === '{worker_id}' ? id : p;
      return out;
    };
    this.scanPattern = parts
      .map((p) => (p === '{worker_type}' || p === '{worker_id}' ? '*' : p.replace(/[*?[\]\\]/g, '\\$&')))
      .join('');
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

  parse(key: string): { workerType: string; workerId: string } | undefined {
    const m = this.regex.exec(key);
    if (!m?.groups) return undefined;
    return { workerType: m.groups.type!, workerId: m.groups.id! };
  }
}
