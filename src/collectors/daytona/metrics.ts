import { Snapshot, type MetricFamily } from '../../metrics/family.js';
import type { Sandbox } from './parse.js';
import type { DaytonaPricing } from './schema.js';
import { metric } from '../../metrics/names.js';

export interface FleetOptions {
  nowMs: number;
  /** Daytona sandbox label → Prometheus label, added to fleet_daytona_sandbox_info. */
  labelMap: Record<string, string>;
  maxSandboxSeries: number;
  pricing?: DaytonaPricing;
}

/**
 * Which sandboxes keep their per-sandbox series when there are more than the
 * cap: failures first, then running ones (they cost money), archived last.
 */
function rank(state: string): number {
  if (state === 'error' || state === 'build_failed') return 0;
  if (state === 'started') return 1;
  if (state === 'stopped') return 3;
  if (state === 'archived') return 4;
  return 2; // transitional and unknown future states
}

function byInterest(a: Sandbox, b: Sandbox): number {
  return rank(a.state) - rank(b.state) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function hourlyCost(s: Sandbox, p: DaytonaPricing): number {
  let cost = 0;
  if (p.compute_states.includes(s.state)) {
    cost += s.cpu * p.cpu_hour + (s.memoryBytes / 1024 ** 3) * p.memory_gib_hour + s.gpu * p.gpu_hour;
  }
  if (p.disk_states.includes(s.state)) cost += (s.diskBytes / 1024 ** 3) * p.disk_gib_hour;
  return cost;
}

/** Aggregates by state and the capped per-sandbox series, from one complete sandbox list. */
export function buildDaytonaMetrics(sandboxes: readonly Sandbox[], opts: FleetOptions): { families: MetricFamily[]; dropped: number } {
  const snap = new Snapshot();
  const byStateTarget = new Map<string, { state: string; target: string; n: number }>();
  const byState = new Map<string, { cpu: number; mem: number; disk: number; gpu: number; noAutoStop: number; cost: number }>();
  for (const s of sandboxes) {
    const key = `${s.state}\u0000${s.target}`;
    const st = byStateTarget.get(key) ?? { state: s.state, target: s.target, n: 0 };
    st.n++;
    byStateTarget.set(key, st);
    const agg = byState.get(s.state) ?? { cpu: 0, mem: 0, disk: 0, gpu: 0, noAutoStop: 0, cost: 0 };
    agg.cpu += s.cpu;
    agg.mem += s.memoryBytes;
    agg.disk += s.diskBytes;
    agg.gpu += s.gpu;
    if (s.autoStopMinutes === 0) agg.noAutoStop++;
    if (opts.pricing) agg.cost += hourlyCost(s, opts.pricing);
    byState.set(s.state, agg);
  }

  const count = snap.gauge(metric.fleet_daytona_sandboxes, 'Daytona sandboxes by state and target (refreshed in the background).', ['state', 'target']);
  for (const { state, target, n } of byStateTarget.values()) count.set(n, state, target);
  const cpu = snap.gauge(metric.fleet_daytona_sandbox_cpu_cores, 'vCPUs allocated to Daytona sandboxes, by state.', ['state']);
  const mem = snap.gauge(metric.fleet_daytona_sandbox_memory_bytes, 'Memory allocated to Daytona sandboxes, by state.', ['state']);
  const disk = snap.gauge(metric.fleet_daytona_sandbox_disk_bytes, 'Disk allocated to Daytona sandboxes, by state.', ['state']);
  const gpu = snap.gauge(metric.fleet_daytona_sandbox_gpus, 'GPUs allocated to Daytona sandboxes, by state.', ['state']);
  const noAutoStop = snap.gauge(metric.fleet_daytona_sandboxes_auto_stop_disabled, 'Daytona sandboxes whose autoStopInterval is 0: they never stop on their own.', ['state']);
  const cost = snap.gauge(
    metric.fleet_daytona_estimated_cost_per_hour,
    'Estimated hourly cost of Daytona sandboxes by state, from the configured list prices (allocated, not used, resources).',
    ['state'],
  );
  for (const [state, a] of byState) {
    cpu.set(a.cpu, state);
    mem.set(a.mem, state);
    disk.set(a.disk, state);
    gpu.set(a.gpu, state);
    noAutoStop.set(a.noAutoStop, state);
    if (opts.pricing) cost.set(a.cost, state);
  }

  const mapped = Object.entries(opts.labelMap);
  const info = snap.gauge(metric.fleet_daytona_sandbox_info, 'Always 1 per Daytona sandbox; labels describe it (capped by max_sandbox_series).', [
    'sandbox_id',
    'name',
    'state',
    'target',
    'desired_state',
    'snapshot',
    'recoverable',
    ...mapped.map(([, to]) => to),
  ]);
  const age = snap.gauge(metric.fleet_daytona_sandbox_age_seconds, 'Time since the Daytona sandbox was created (createdAt).', ['sandbox_id']);
  const idle = snap.gauge(metric.fleet_daytona_sandbox_idle_seconds, 'Time since the last activity in the Daytona sandbox (lastActivityAt).', ['sandbox_id']);
  const autoStop = snap.gauge(metric.fleet_daytona_sandbox_auto_stop_seconds, "The sandbox's autoStopInterval in seconds (0 = never stops on its own).", ['sandbox_id']);
  const errored = snap.gauge(metric.fleet_daytona_sandbox_error, 'Always 1 for a Daytona sandbox that reports an errorReason (the text itself is not a label: unbounded).', [
    'sandbox_id',
    'state',
  ]);

  const kept = sandboxes.length > opts.maxSandboxSeries ? [...sandboxes].sort(byInterest).slice(0, opts.maxSandboxSeries) : sandboxes;
  for (const s of kept) {
    const recoverable = s.recoverable === undefined ? '' : String(s.recoverable);
    info.set(1, s.id, s.name, s.state, s.target, s.desiredState ?? '', s.snapshot ?? '', recoverable, ...mapped.map(([from]) => s.labels[from] ?? ''));
    if (s.createdAtMs !== undefined) age.set(Math.max(0, (opts.nowMs - s.createdAtMs) / 1000), s.id);
    if (s.lastActivityAtMs !== undefined) idle.set(Math.max(0, (opts.nowMs - s.lastActivityAtMs) / 1000), s.id);
    if (s.autoStopMinutes !== undefined) autoStop.set(s.autoStopMinutes * 60, s.id);
    if (s.errorReason) errored.set(1, s.id, s.state);
  }
  return { families: snap.families(), dropped: sandboxes.length - kept.length };
}
