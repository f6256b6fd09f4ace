import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { freePort, waitFor } from './net.js';
import { parseExposition, type ParsedSample } from './exposition.js';

export const REPO_ROOT = process.env.FLEET_REPO_ROOT ?? new URL('../../../', import.meta.url).pathname;
export const CLI = join(REPO_ROOT, 'dist/src/main.js');

/** The Node flags the bin's shebang line runs it with (`#!/usr/bin/env -S node …`). */
export function shebangFlags(): string[] {
  return readFileSync(CLI, 'utf8').split('\n', 1)[0]!.split(/\s+/).slice(3);
}

/** Runs the built CLI, as a user would, with a config written to a temp file. */
export class ExporterProcess {
  private proc?: ChildProcess;
  logs = '';
  port = 0;

  /** `nodeArgs`: Node flags instead of the shebang's (benches compare flags and profile); without any, the bin runs itself. */
  static async start(config: object, env: NodeJS.ProcessEnv = {}, args: string[] = [], nodeArgs?: string[]): Promise<ExporterProcess> {
    const e = new ExporterProcess();
    e.port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'fleet-exporter-'));
    const file = join(dir, 'fleet.yml');
    writeFileSync(file, yaml.dump(config));
    // Run the bin itself, as users do (its shebang carries the Node flags).
    const cliArgs = ['--config', file, '--listen', `127.0.0.1:${e.port}`, ...args];
    e.proc = spawn(nodeArgs ? process.execPath : CLI, nodeArgs ? [...nodeArgs, CLI, ...cliArgs] : cliArgs, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    e.proc.stdout!.on('data', (d) => (e.logs += d));
    e.proc.stderr!.on('data', (d) => (e.logs += d));
    const proc = e.proc;
    try {
      // The log line, not /healthz: a web config may put TLS and basic auth in front of it.
      await waitFor(() => {
        if (proc.exitCode !== null) throw new Error(`exporter exited ${proc.exitCode}: ${e.logs}`);
        return e.logs.includes('fleet-exporter listening');
      }, 15_000);
    } catch (err) {
      await e.stop(); // a slow start must not leave the process behind
      throw err;
    }
    return e;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async text(path = '/metrics', headers: Record<string, string> = {}): Promise<{ status: number; body: string; contentType: string }> {
    const r = await fetch(`${this.base}${path}`, { headers });
    return { status: r.status, body: await r.text(), contentType: r.headers.get('content-type') ?? '' };
  }

  async samples(): Promise<ParsedSample[]> {
    const { status, body } = await this.text();
    if (status !== 200) throw new Error(`/metrics answered ${status}`);
    return parseExposition(body);
  }

  stop(): Promise<void> {
    return stopProcess(this.proc);
  }
}

/** SIGTERM, and wait for the exit (at once when it has exited already). */
export async function stopProcess(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}
