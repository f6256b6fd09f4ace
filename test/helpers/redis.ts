import { spawn, type ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connect } from 'node:net';
import { freePort, waitFor } from './net.js';

/** PING over a raw socket: tells "up" from "up but wants auth" from "loading". */
function rawPing(port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      data += d;
      sock.destroy();
      resolve(data);
    });
    sock.on('error', () => resolve(''));
    sock.setTimeout(1000, () => (sock.destroy(), resolve('')));
  });
}

/**
 * A throwaway redis-server on a free port in a temp dir, owned by the test:
 * it can be stopped and restarted (same port) for fault tests.
 */
export class TestRedis {
  private proc?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'fleet-redis-'));
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  static async start(extraArgs: string[] = []): Promise<TestRedis> {
    const r = new TestRedis();
    r.port = await freePort();
    await r.launch(extraArgs);
    return r;
  }

  private extraArgs: string[] = [];

  /**
   * Starts the server; with `untilLoaded: false` returns as soon as it
   * answers at all, LOADING included (to test a server loading its dataset).
   */
  async launch(extraArgs = this.extraArgs, { untilLoaded = true } = {}): Promise<void> {
    this.extraArgs = extraArgs;
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...extraArgs], {
      stdio: 'ignore',
    });
    const proc = this.proc;
    await waitFor(async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      const reply = await rawPing(this.port);
      // PONG, or NOAUTH from a server that wants a password: up either way (LOADING is not).
      return reply.startsWith('+PONG') || reply.startsWith('-NOAUTH') || (!untilLoaded && reply.startsWith('-LOADING'));
    }, 10_000);
  }

  /** A client for the test's own writes (never the shared server on 6379). */
  client(): Redis {
    const c = new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    return c;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return; // already gone
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the port stays open, nothing answers (a hung server). */
  freeze(): void {
    this.proc?.kill('SIGSTOP');
  }

  thaw(): void {
    this.proc?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TestRedis and a client of it for the tests of one file or suite: started before them, destroyed after. */
export function useTestRedis(): { readonly redis: TestRedis; readonly client: Redis } {
  const ctx = {} as { redis: TestRedis; client: Redis };
  before(async () => {
    ctx.redis = await TestRedis.start();
    ctx.client = ctx.redis.client();
  });
  after(async () => {
    ctx.client.disconnect();
    await ctx.redis.destroy();
  });
  return ctx;
}
