import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './exporter.js';
import { PYTHON, PYTHON_CLIENT_DIR } from './python.js';

export interface Obs {
  outcome?: string;
  durationSeconds: number;
  waitSeconds?: number;
}

// Both read batches of observations as JSON lines on stdin, record them with
// the shipped helper, and answer "ok" once they are in memory (not flushed).
const NODE_WORKER = `import { Redis } from 'ioredis';
import { createInterface } from 'node:readline';
import { startHeartbeat } from 'fleet-exporter/heartbeat';
const [port, workerType, workerId, ttl] = process.argv.slice(2);
const redis = new Redis(Number(port));
const hb = startHeartbeat(redis, { workerType, workerId, ttlSeconds: Number(ttl) });
for await (const line of createInterface({ input: process.stdin })) {
  for (const o of JSON.parse(line)) hb.observe(o);
  console.log('ok');
}
`;

const PYTHON_WORKER = `import json, sys, redis, fleet_worker
port, worker_type, worker_id, ttl = sys.argv[1:5]
hb = fleet_worker.start_heartbeat(redis.Redis(port=int(port)), worker_type, worker_id, ttl_seconds=int(ttl))
for line in sys.stdin:
    for o in json.loads(line):
        hb.observe(o.get("outcome", "ok"), o["durationSeconds"], o.get("waitSeconds"))
    print("ok", flush=True)
`;

let workerDir: string | undefined;
/** A directory where `fleet-exporter/heartbeat` resolves as for a user who installed the package. */
function scripts(): string {
  if (workerDir) return workerDir;
  const dir = mkdtempSync(join(tmpdir(), 'fleet-task-worker-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO_ROOT, join(dir, 'node_modules/fleet-exporter'));
  symlinkSync(join(REPO_ROOT, 'node_modules/ioredis'), join(dir, 'node_modules/ioredis'));
  writeFileSync(join(dir, 'worker.mjs'), NODE_WORKER);
  writeFileSync(join(dir, 'worker.py'), PYTHON_WORKER);
  return (workerDir = dir);
}

/** A worker process (Node or Python) using the shipped helper, fed observations by the test. */
export class TaskWorker {
  private readonly acks: AsyncIterator<string>;
  readonly exited: Promise<NodeJS.Signals | number | null>;

  private constructor(private readonly proc: ChildProcess) {
    this.acks = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    this.exited = new Promise((resolve) => proc.once('exit', (code, sig) => resolve(sig ?? code)));
  }

  static start(lang: 'node' | 'python', redisPort: number, workerType: string, workerId: string, ttlSeconds: number): TaskWorker {
    const dir = scripts();
    const args = [String(redisPort), workerType, workerId, String(ttlSeconds)];
    const proc =
      lang === 'node'
        ? spawn(process.execPath, [join(dir, 'worker.mjs'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
        : spawn(PYTHON, [join(dir, 'worker.py'), ...args], {
            stdio: ['pipe', 'pipe', 'inherit'],
            env: { ...process.env, PYTHONPATH: PYTHON_CLIENT_DIR, PYTHONDONTWRITEBYTECODE: '1' },
          });
    return new TaskWorker(proc);
  }

  /** Records a batch; resolves once the worker holds it in memory. */
  async record(batch: readonly Obs[]): Promise<void> {
    this.proc.stdin!.write(JSON.stringify(batch) + '\n');
    const { value, done } = await this.acks.next();
    if (done || value !== 'ok') throw new Error(`worker answered ${String(value)}`);
  }

  kill(signal: NodeJS.Signals): Promise<NodeJS.Signals | number | null> {
    this.proc.kill(signal);
    return this.exited;
  }
}

/** What a correct reader must make of the observations: cumulative counts per `le` (+Inf last). */
export function expectedBuckets(values: readonly number[], bounds: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const le of bounds) out.set(String(le), values.filter((v) => v <= le).length);
  out.set('+Inf', values.length);
  return out;
}
