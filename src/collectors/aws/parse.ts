import type { Filter, Instance as SdkInstance, InstanceStatus as SdkInstanceStatus } from '@aws-sdk/client-ec2';
import { EC2_STATES, type AwsConfig, type Ec2State } from './schema.js';

export type CheckName = 'system' | 'instance' | 'ebs';

/** What the exporter knows about one instance after a discovery. */
export interface Instance {
  id: string;
  region: string;
  state: Ec2State;
  type: string;
  availabilityZone: string;
  name: string;
  imageId: string;
  autoScalingGroup?: string;
  /** EC2 status check summaries (ok, impaired, insufficient-data, not-applicable, initializing). */
  checks: Partial<Record<CheckName, string>>;
}

/** DescribeInstances filters for the configured tags and states (instance ids go in InstanceIds). */
export function describeFilters(filters: AwsConfig['filters']): Filter[] {
  const out: Filter[] = Object.entries(filters.tags).map(([key, values]) => ({ Name: `tag:${key}`, Values: values }));
  if (filters.states.length > 0) out.push({ Name: 'instance-state-name', Values: filters.states });
  return out;
}

function isState(s: string | undefined): s is Ec2State {
  return (EC2_STATES as readonly string[]).includes(s ?? '');
}

/** Maps one DescribeInstances item; undefined for an item without id or with an unknown state. */
export function toInstance(i: SdkInstance, region: string): Instance | undefined {
  const state = i.State?.Name;
  if (!i.InstanceId || !isState(state)) return undefined;
  const tag = (key: string) => i.Tags?.find((t) => t.Key === key)?.Value;
  return {
    id: i.InstanceId,
    region,
    state,
    type: i.InstanceType ?? '',
    availabilityZone: i.Placement?.AvailabilityZone ?? '',
    name: tag('Name') ?? '',
    imageId: i.ImageId ?? '',
    autoScalingGroup: tag('aws:autoscaling:groupName'),
    checks: {},
  };
}

/** Copies the three status check summaries of DescribeInstanceStatus onto the discovered instances. */
export function applyStatuses(byId: Map<string, Instance>, statuses: readonly SdkInstanceStatus[]): void {
  for (const s of statuses) {
    const inst = s.InstanceId ? byId.get(s.InstanceId) : undefined;
    if (!inst) continue;
    if (s.SystemStatus?.Status) inst.checks.system = s.SystemStatus.Status;
    if (s.InstanceStatus?.Status) inst.checks.instance = s.InstanceStatus.Status;
    if (s.AttachedEbsStatus?.Status) inst.checks.ebs = s.AttachedEbsStatus.Status;
  }
}

/**
 * A status check as a number: ok → 1, impaired → 0; initializing,
 * insufficient-data and not-applicable (a stopped instance) have no verdict.
 */
export function checkValue(status: string | undefined): number | undefined {
  if (status === 'ok') return 1;
  if (status === 'impaired') return 0;
  return undefined;
}

/** The instances that get per-instance series and CloudWatch queries: the first `cap` by id. */
export function capInstances(instances: readonly Instance[], cap: number): { kept: Instance[]; dropped: number } {
  const sorted = [...instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { kept: sorted.slice(0, cap), dropped: Math.max(0, sorted.length - cap) };
}
