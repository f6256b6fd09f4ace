import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local EC2 + CloudWatch endpoint speaking what @aws-sdk 3.920 sends:
 * EC2 is the `ec2` query protocol and CloudWatch is `awsQuery`; both POST a
 * form body to / and get XML back (AWS's documented response shapes, see
 * test/fixtures/aws/). Both clients share it through `aws.endpoint`; the
 * SigV4 credential scope says which service a request is for.
 */

const FIXTURES = new URL('../../../test/fixtures/aws/', import.meta.url);
export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export interface FakeInstance {
  id: string;
  state: string;
  type: string;
  az: string;
  /** Region the instance lives in; undefined = every region. */
  region?: string;
  imageId?: string;
  tags: Record<string, string>;
  /** Status check summaries; default ok for running, not-applicable otherwise. */
  checks?: { system?: string; instance?: string; ebs?: string };
}

/** A scripted answer to the next request of one action (faults, raw fixtures, delays). */
export interface Scripted {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
  /** Error code, rendered with the service's own error envelope. */
  code?: string;
  message?: string;
}

export interface RecordedRequest {
  action: string;
  service: string;
  params: Params;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Params = Map<string, string>;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const STATE_CODES: Record<string, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };
const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;

export function errorBody(service: 'ec2' | 'cloudwatch', code: string, message: string): string {
  const template = fixture(service === 'ec2' ? 'ec2-error.xml' : 'cloudwatch-error.xml');
  return template.replace('{{CODE}}', esc(code)).replace('{{MESSAGE}}', esc(message));
}

export class FakeAws {
  instances: FakeInstance[] = [];
  /** Page size DescribeInstances uses at most (smaller than MaxResults, to exercise NextToken). */
  pageSize = 1000;
  /**
   * CloudWatch value of one metric for one instance (percent for the defaults),
   * or undefined when nothing is published (no agent, stopped instance).
   */
  metricValue: (instanceId: string, namespace: string, metricName: string) => number | undefined = (id, ns, name) => {
    const inst = this.byId().get(id);
    if (!inst || inst.state !== 'running') return undefined;
    if (ns === 'AWS/EC2' && name === 'CPUUtilization') return 10 + (parseInt(id.slice(-4), 16) % 80);
    if (ns === 'CWAgent' && name === 'mem_used_percent') return inst.tags.agent ? 50 : undefined;
    return 1;
  };
  /** Session tokens the fake treats as expired. */
  expiredTokens = new Set<string>();
  readonly calls = new Map<string, number>();
  /** Every request (bounded, for the benchmark's sake). */
  readonly requests: RecordedRequest[] = [];
  keepRequests = 10_000;
  private readonly scripts = new Map<string, Scripted[]>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private idIndex?: Map<string, FakeInstance>;

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `times` requests of `action` get this answer instead of the real one. */
  script(action: string, answer: Scripted, times = 1): void {
    const queue = this.scripts.get(action) ?? [];
    for (let i = 0; i < times; i++) queue.push(answer);
    this.scripts.set(action, queue);
  }

  count(action: string): number {
    return this.calls.get(action) ?? 0;
  }

  resetCounts(): void {
    this.calls.clear();
    this.requests.length = 0;
  }

  /** Call after changing `instances`. */
  changed(): void {
    this.idIndex = undefined;
  }

  private byId(): Map<string, FakeInstance> {
    return (this.idIndex ??= new Map(this.instances.map((i) => [i.id, i])));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    // A Map: URLSearchParams.get scans linearly, which 500-query calls turn quadratic.
    const params: Params = new Map(new URLSearchParams(body));
    const action = params.get('Action') ?? '';
    const [, region = '', service = ''] = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? '') ?? [];
    const errService = service === 'monitoring' ? 'cloudwatch' : 'ec2';
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    if (this.requests.length < this.keepRequests) this.requests.push({ action, service, params, headers: req.headers, body });

    const send = (status: number, xml: string, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': 'fake-request', ...headers });
      res.end(xml);
    };
    const fail = (status: number, code: string, message: string, headers?: Record<string, string>) => send(status, errorBody(errService, code, message), headers);

    const scripted = this.scripts.get(action)?.shift();
    if (scripted) {
      if (scripted.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
      if (scripted.code) return fail(scripted.status ?? 400, scripted.code, scripted.message ?? scripted.code, scripted.headers);
      if (scripted.body !== undefined) return send(scripted.status ?? 200, scripted.body, scripted.headers);
    }

    if (!/^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? '')) return fail(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const token = req.headers['x-amz-security-token'];
    if (typeof token === 'string' && this.expiredTokens.has(token)) {
      return errService === 'ec2'
        ? fail(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials')
        : fail(403, 'ExpiredToken', 'The security token included in the request is expired');
    }

    switch (action) {
      case 'DescribeInstances':
        return send(200, this.describeInstances(params, region));
      case 'DescribeInstanceStatus':
        return send(200, this.describeInstanceStatus(params, region));
      case 'GetMetricData': {
        const out = this.getMetricData(params);
        return typeof out === 'string' ? send(200, out) : fail(400, out.code, out.message);
      }
      default:
        return fail(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  private describeInstances(p: Params, region: string): string {
    const ids = list(p, 'InstanceId');
    const filters = new Map<string, string[]>();
    for (let n = 1; p.has(`Filter.${n}.Name`); n++) filters.set(p.get(`Filter.${n}.Name`)!, list(p, `Filter.${n}.Value`));
    const matches = this.instances.filter((i) => {
      if (i.region && i.region !== region) return false;
      if (ids.length && !ids.includes(i.id)) return false;
      for (const [name, values] of filters) {
        if (name === 'instance-state-name' && !values.includes(i.state)) return false;
        if (name.startsWith('tag:') && !values.includes(i.tags[name.slice(4)] ?? '\u0000')) return false;
      }
      return true;
    });
    const max = Math.min(Number(p.get('MaxResults') ?? 1000), this.pageSize);
    const from = Number(p.get('NextToken') ?? 0);
    const page = matches.slice(from, from + max);
    const next = from + max < matches.length ? `<nextToken>${from + max}</nextToken>` : '';
    // One reservation per instance, as for instances launched one by one.
    const reservations = page.map(
      (i) => `<item><reservationId>r-${i.id.slice(2)}</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet>${instanceXml(i)}</instancesSet></item>`,
    );
    return `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId><reservationSet>${reservations.join('')}</reservationSet>${next}</DescribeInstancesResponse>`;
  }

  private describeInstanceStatus(p: Params, region: string): string {
    const ids = list(p, 'InstanceId');
    const all = p.get('IncludeAllInstances') === 'true';
    const index = this.byId();
    const chosen = (ids.length ? ids.map((id) => index.get(id)).filter((i): i is FakeInstance => !!i) : this.instances).filter(
      (i) => (!i.region || i.region === region) && i.state !== 'terminated' && (all || i.state === 'running'),
    );
    const summary = (tag: string, status: string | undefined) =>
      status
        ? `<${tag}><status>${status}</status><details><item><name>reachability</name><status>${status === 'ok' ? 'passed' : status === 'impaired' ? 'failed' : status}</status></item></details></${tag}>`
        : '';
    const items = chosen.map((i) => {
      const na = i.state === 'running' ? 'ok' : 'not-applicable';
      const c = { system: na, instance: na, ebs: i.state === 'running' ? 'ok' : undefined, ...i.checks };
      return `<item><instanceId>${i.id}</instanceId><availabilityZone>${esc(i.az)}</availabilityZone><instanceState><code>${STATE_CODES[i.state] ?? 0}</code><name>${i.state}</name></instanceState>${summary('systemStatus', c.system)}${summary('instanceStatus', c.instance)}${summary('attachedEbsStatus', c.ebs)}<eventsSet/></item>`;
    });
    return `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstanceStatusResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId><instanceStatusSet>${items.join('')}</instanceStatusSet></DescribeInstanceStatusResponse>`;
  }

  /** Enforces AWS's rules on the request (≤500 queries, Id syntax, unique Ids), then one datapoint per period. */
  private getMetricData(p: Params): string | { code: string; message: string } {
    const start = Date.parse(p.get('StartTime') ?? '');
    const end = Date.parse(p.get('EndTime') ?? '');
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return { code: 'InvalidParameterValue', message: 'bad StartTime/EndTime' };
    const seen = new Set<string>();
    const members: string[] = [];
    let n = 1;
    for (; p.has(`MetricDataQueries.member.${n}.Id`); n++) {
      const q = `MetricDataQueries.member.${n}`;
      const id = p.get(`${q}.Id`)!;
      if (!QUERY_ID.test(id)) return { code: 'ValidationError', message: `The value ${id} for parameter MetricDataQueries.member.${n}.Id is not matching the expected pattern` };
      if (seen.has(id)) return { code: 'ValidationError', message: `The values for parameter id in MetricDataQueries are not unique.` };
      seen.add(id);
      const ns = p.get(`${q}.MetricStat.Metric.Namespace`)!;
      const name = p.get(`${q}.MetricStat.Metric.MetricName`)!;
      const period = Number(p.get(`${q}.MetricStat.Period`));
      let instanceId = '';
      for (let d = 1; p.has(`${q}.MetricStat.Metric.Dimensions.member.${d}.Name`); d++) {
        if (p.get(`${q}.MetricStat.Metric.Dimensions.member.${d}.Name`) === 'InstanceId') instanceId = p.get(`${q}.MetricStat.Metric.Dimensions.member.${d}.Value`)!;
      }
      const value = this.metricValue(instanceId, ns, name);
      const times: string[] = [];
      const values: string[] = [];
      if (value !== undefined) {
        // Newest first (ScanBy TimestampDescending); each datapoint's timestamp is its period's start.
        for (let t = end - period * 1000; t >= start; t -= period * 1000) {
          times.push(`<member>${new Date(t).toISOString().replace('.000Z', 'Z')}</member>`);
          values.push(`<member>${value}</member>`);
        }
      }
      members.push(
        `<member><Timestamps>${times.join('')}</Timestamps><StatusCode>Complete</StatusCode><Values>${values.join('')}</Values><Id>${id}</Id><Label>${esc(name)}</Label></member>`,
      );
    }
    if (n - 1 > 500) return { code: 'ValidationError', message: 'The collection MetricDataQueries must not have a size greater than 500.' };
    return `<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricDataResult><MetricDataResults>${members.join('')}</MetricDataResults><Messages/></GetMetricDataResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetMetricDataResponse>`;
  }
}

/** Values of a query-protocol list: Prefix.1, Prefix.2, ... */
function list(p: Params, prefix: string): string[] {
  const out: string[] = [];
  for (let n = 1; p.has(`${prefix}.${n}`); n++) out.push(p.get(`${prefix}.${n}`)!);
  return out;
}

function instanceXml(i: FakeInstance): string {
  const tags = Object.entries(i.tags)
    .map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`)
    .join('');
  return `<item><instanceId>${i.id}</instanceId><imageId>${i.imageId ?? 'ami-0abcdef1234567890'}</imageId><instanceState><code>${STATE_CODES[i.state] ?? 0}</code><name>${i.state}</name></instanceState><instanceType>${esc(i.type)}</instanceType><launchTime>2024-05-08T16:46:19.000Z</launchTime><placement><availabilityZone>${esc(i.az)}</availabilityZone><groupName/><tenancy>default</tenancy></placement><monitoring><state>disabled</state></monitoring><tagSet>${tags}</tagSet></item>`;
}

/** A synthetic fleet: `n` instances, every `stoppedEvery`-th stopped, half with the CloudWatch agent. */
export function syntheticFleet(n: number, opts: { stoppedEvery?: number; prefix?: string } = {}): FakeInstance[] {
  const out: FakeInstance[] = [];
  for (let k = 0; k < n; k++) {
    const id = `i-${(opts.prefix ?? '0a') + k.toString(16).padStart(15, '0')}`;
    const stopped = opts.stoppedEvery ? k % opts.stoppedEvery === opts.stoppedEvery - 1 : false;
    out.push({
      id,
      state: stopped ? 'stopped' : 'running',
      type: k % 2 ? 'c5.large' : 't3.medium',
      az: k % 3 ? 'us-east-1a' : 'us-east-1b',
      tags: { Name: `worker-${k}`, team: k % 4 === 0 ? 'infra' : 'ml', ...(k % 2 === 0 ? { agent: 'cwagent' } : {}) },
    });
  }
  return out;
}
