import { GetMetricDataCommand, type CloudWatchClient, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mapLimit } from '../limit.js';
import { batches, type PlannedQuery, type QueryWindow } from './queries.js';

/**
 * Runs the planned queries in GetMetricData calls of up to 500, `concurrency`
 * at a time. A call only pages (NextToken) when CloudWatch holds back
 * datapoints, which a window of a few periods never fills.
 */
export async function fetchMetricData(
  cw: CloudWatchClient,
  planned: readonly PlannedQuery[],
  window: QueryWindow,
  concurrency: number,
  signal: AbortSignal,
): Promise<MetricDataResult[]> {
  const pages = await mapLimit(batches(planned), concurrency, async (batch) => {
    const results: MetricDataResult[] = [];
    let NextToken: string | undefined;
    do {
      const out = await cw.send(
        new GetMetricDataCommand({
          MetricDataQueries: batch.map((p) => p.query),
          StartTime: window.start,
          EndTime: window.end,
          ScanBy: 'TimestampDescending',
          NextToken,
        }),
        { abortSignal: signal },
      );
      for (const r of out.MetricDataResults ?? []) results.push(r);
      NextToken = out.NextToken || undefined;
    } while (NextToken);
    return results;
  });
  return pages.flat();
}
