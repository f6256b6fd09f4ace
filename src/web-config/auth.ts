import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import bcrypt from 'bcryptjs';

/** Successful logins remembered, so a scrape does not pay bcrypt's deliberate ~100 ms each time. */
const CACHE_LIMIT = 1000;

/**
 * HTTP basic auth against bcrypt hashes, as exporter-toolkit does it: a
 * success is cached by a digest of (user, password, hash), and an unknown
 * user still costs one bcrypt comparison so timing does not reveal user names.
 */
export class BasicAuth {
  private readonly ok = new Set<string>();
  private readonly dummyHash: string;

  constructor(private readonly users: ReadonlyMap<string, string>) {
    this.dummyHash = bcrypt.hashSync('fleet-exporter: no such user', 10);
  }

  async check(req: IncomingMessage): Promise<boolean> {
    const credentials = parseBasic(req.headers.authorization);
    if (!credentials) return false;
    const { user, password } = credentials;
    const hash = this.users.get(user);
    const key = createHash('sha256')
      .update(`${user}\0${password}\0${hash ?? ''}`)
      .digest('hex');
    if (hash !== undefined && this.ok.has(key)) return true;
    const matches = await bcrypt.compare(password, hash ?? this.dummyHash);
    if (!matches || hash === undefined) return false;
    if (this.ok.size >= CACHE_LIMIT) this.ok.clear();
    this.ok.add(key);
    return true;
  }
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}
