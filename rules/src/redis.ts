import { metric as m } from '../../src/metrics/names.js';
import { JOB as E, pct, prose, record, type Area, type Severity } from './build.js';

const panel = (title: string) => ({ dashboard: 'fleet-streams', title });

export const redis: Area = {
  file: 'redis.rules.yml',
  group: ({ t, alert }) => {
    const mem = (severity: Severity, r: number) =>
      alert('FleetRedisMemoryHigh', {
        expr: `fleet:redis:memory_utilization > ${r}`,
        for: t.redis.memory_for,
        severity,
        collector: 'redis',
        summary: `Redis memory is above ${pct(r)} of maxmemory`,
        description: prose`Redis behind {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its maxmemory
          (threshold ${pct(r)}). At 100% it evicts keys (heartbeats, stream entries) or refuses writes, depending on
          maxmemory-policy, and the fleet stops taking tasks.`,
        panel: panel('Redis memory'),
      });
    return {
      name: 'fleet-redis',
      rules: [
        record('fleet:redis:memory_utilization', `${m.fleet_redis_used_memory_bytes}{${E}} / on (job, instance) (${m.fleet_redis_maxmemory_bytes}{${E}} > 0)`),
        alert('FleetRedisDown', {
          expr: `${m.fleet_redis_up}{${E}} == 0`,
          for: t.redis.down_for,
          severity: 'critical',
          collector: 'redis',
          summary: 'Redis is unreachable from fleet-exporter',
          description: prose`fleet-exporter {{ $labels.instance }} cannot reach Redis: task streams, heartbeats and
            shutdown markers are unreadable, and if workers cannot reach it either no task is queued or processed.
            Stream and worker alerts are inhibited while this fires.`,
          panel: panel('Redis up'),
        }),
        mem('warning', t.redis.memory_warning_ratio),
        mem('critical', t.redis.memory_critical_ratio),
      ],
    };
  },
};
