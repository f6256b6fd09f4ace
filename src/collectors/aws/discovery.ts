import { DescribeInstancesCommand, DescribeInstanceStatusCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { mapLimit } from '../limit.js';
import { applyStatuses, describeFilters, toInstance, type Instance } from './parse.js';
import { batches } from './queries.js';
import type { AwsConfig } from './schema.js';

/** DescribeInstanceStatus takes at most 100 explicit instance ids per call. */
const STATUS_IDS_PER_CALL = 100;

/**
 * One region's instances: DescribeInstances with the configured filters, page
 * by page (NextToken), then DescribeInstanceStatus with IncludeAllInstances
 * for exactly the instances found, so stopped ones are covered too.
 */
export async function discoverRegion(ec2: EC2Client, region: string, filters: AwsConfig['filters'], signal: AbortSignal): Promise<Instance[]> {
  const byId = new Map<string, Instance>();
  const Filters = describeFilters(filters);
  // MaxResults may not be combined with InstanceIds.
  const ids = filters.instance_ids.length > 0 ? { InstanceIds: filters.instance_ids } : { MaxResults: 1000 };
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeInstancesCommand({ ...ids, Filters: Filters.length ? Filters : undefined, NextToken }), { abortSignal: signal });
    for (const r of page.Reservations ?? []) {
      for (const raw of r.Instances ?? []) {
        const inst = toInstance(raw, region);
        if (inst) byId.set(inst.id, inst);
      }
    }
    NextToken = page.NextToken || undefined;
  } while (NextToken);

  // Terminated instances have no status; asking for them only costs calls.
  const withStatus = [...byId.values()].filter((i) => i.state !== 'terminated').map((i) => i.id);
  await mapLimit(batches(withStatus, STATUS_IDS_PER_CALL), 4, async (chunk) => {
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: chunk, IncludeAllInstances: true, NextToken: token }), {
        abortSignal: signal,
      });
      applyStatuses(byId, page.InstanceStatuses ?? []);
      token = page.NextToken || undefined;
    } while (token);
  });
  return [...byId.values()];
}
