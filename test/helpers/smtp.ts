import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { waitFor } from './net.js';

/** One message accepted by the SMTP server. */
export interface SmtpMessage {
  helo: string;
  /** Credentials the client authenticated with (AUTH PLAIN or LOGIN), if any. */
  auth?: { username: string; password: string; mechanism: string };
  from: string;
  to: string[];
  /** The DATA section as sent (dot-unstuffed), CRLF line endings. */
  data: string;
  /** Top-level headers, names lower-cased (folded lines joined). */
  headers: Record<string, string>;
  /** Every text part of the body, transfer-decoded (quoted-printable / base64), concatenated. */
  body: string;
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const src = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < src.length; i++) {
    if (src[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(src.slice(i + 1, i + 3))) {
      bytes.push(parseInt(src.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(src[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseHeaders(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Decodes the text of a MIME entity (recursing into multiparts). */
function decodeEntity(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = parseHeaders(split < 0 ? raw : raw.slice(0, split));
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    return body
      .split(`--${boundary}`)
      .slice(1)
      .filter((p) => !p.startsWith('--'))
      .map((p) => decodeEntity(p.replace(/^\r?\n/, '')))
      .join('\n');
  }
  const enc = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  if (enc === 'base64') return b64(body.replace(/\s+/g, ''));
  return body;
}

/**
 * A minimal SMTP server (RFC 5321 subset) for Alertmanager's Go smtp client:
 * 220 greeting, EHLO/HELO (advertises 8BITMIME and AUTH PLAIN LOGIN, no
 * STARTTLS), AUTH PLAIN (initial response or continuation) and AUTH LOGIN,
 * MAIL, RCPT, DATA (until CRLF.CRLF), RSET, NOOP, QUIT. Records each message.
 */
export class SmtpServer {
  readonly messages: SmtpMessage[] = [];
  /** Every command line received, in order (for diagnostics). */
  readonly transcript: string[] = [];
  private server!: Server;
  private sockets = new Set<Socket>();

  static async start(): Promise<SmtpServer> {
    const s = new SmtpServer();
    s.server = createServer((sock) => s.session(sock));
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private session(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    const reply = (line: string) => sock.write(`${line}\r\n`);
    let buf = '';
    let helo = '';
    let auth: SmtpMessage['auth'];
    let from = '';
    let to: string[] = [];
    let mode: 'cmd' | 'data' | 'auth-plain' | 'auth-login-user' | 'auth-login-pass' = 'cmd';
    let loginUser = '';

    const command = (line: string) => {
      this.transcript.push(line);
      const verb = line.split(' ')[0]!.toUpperCase();
      const arg = line.slice(verb.length).trim();
      switch (verb) {
        case 'EHLO':
          helo = arg;
          sock.write(`250-fleet-test-smtp greets ${arg}\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 10485760\r\n`);
          return;
        case 'HELO':
          helo = arg;
          return reply('250 fleet-test-smtp');
        case 'AUTH': {
          const [mech, initial] = arg.split(/\s+/);
          if (mech?.toUpperCase() === 'PLAIN') {
            if (initial) {
              const [, user, pass] = b64(initial).split('\0');
              auth = { username: user ?? '', password: pass ?? '', mechanism: 'PLAIN' };
              return reply('235 2.7.0 Authentication successful');
            }
            mode = 'auth-plain';
            return reply('334 ');
          }
          if (mech?.toUpperCase() === 'LOGIN') {
            if (initial) {
              loginUser = b64(initial);
              mode = 'auth-login-pass';
              return reply(`334 ${Buffer.from('Password:').toString('base64')}`);
            }
            mode = 'auth-login-user';
            return reply(`334 ${Buffer.from('Username:').toString('base64')}`);
          }
          return reply('504 5.5.4 Unrecognized authentication type');
        }
        case 'MAIL':
          from = /<([^>]*)>/.exec(arg)?.[1] ?? arg;
          to = [];
          return reply('250 2.1.0 Ok');
        case 'RCPT':
          to.push(/<([^>]*)>/.exec(arg)?.[1] ?? arg);
          return reply('250 2.1.5 Ok');
        case 'DATA':
          mode = 'data';
          return reply('354 End data with <CR><LF>.<CR><LF>');
        case 'RSET':
          from = '';
          to = [];
          return reply('250 2.0.0 Ok');
        case 'NOOP':
          return reply('250 2.0.0 Ok');
        case 'QUIT':
          reply('221 2.0.0 Bye');
          sock.end();
          return;
        default:
          return reply('502 5.5.2 Command not recognized');
      }
    };

    const feed = () => {
      for (;;) {
        if (mode === 'data') {
          const end = buf.indexOf('\r\n.\r\n');
          const atStart = buf.startsWith('.\r\n');
          if (end < 0 && !atStart) return;
          const raw = atStart ? '' : buf.slice(0, end + 2);
          buf = atStart ? buf.slice(3) : buf.slice(end + 5);
          const data = raw.replace(/^\.\./gm, '.');
          const split = data.search(/\r\n\r\n/);
          this.messages.push({
            helo,
            auth,
            from,
            to,
            data,
            headers: parseHeaders(split < 0 ? data : data.slice(0, split)),
            body: decodeEntity(data),
          });
          mode = 'cmd';
          reply('250 2.0.0 Ok: queued');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (mode === 'auth-plain') {
          const [, user, pass] = b64(line).split('\0');
          auth = { username: user ?? '', password: pass ?? '', mechanism: 'PLAIN' };
          mode = 'cmd';
          reply('235 2.7.0 Authentication successful');
        } else if (mode === 'auth-login-user') {
          loginUser = b64(line);
          mode = 'auth-login-pass';
          reply(`334 ${Buffer.from('Password:').toString('base64')}`);
        } else if (mode === 'auth-login-pass') {
          auth = { username: loginUser, password: b64(line), mechanism: 'LOGIN' };
          mode = 'cmd';
          reply('235 2.7.0 Authentication successful');
        } else command(line);
      }
    };

    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      feed();
    });
    reply('220 fleet-test-smtp ESMTP ready');
  }

  /** Waits for the first message satisfying `match`, and returns it. */
  async waitFor(match: (m: SmtpMessage) => boolean, timeoutMs: number, what = 'e-mail'): Promise<SmtpMessage> {
    let found: SmtpMessage | undefined;
    try {
      await waitFor(() => (found = this.messages.find(match)) !== undefined, timeoutMs, 100);
    } catch {
      const seen = this.messages.map((m) => `${m.headers.subject} -> ${m.to.join(',')}`).join('\n');
      throw new Error(`no ${what} within ${timeoutMs} ms; messages so far:\n${seen || '(none)'}\ntranscript:\n${this.transcript.join('\n')}`);
    }
    return found!;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}
