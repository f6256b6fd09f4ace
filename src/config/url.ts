import { z } from 'zod';

/**
 * Full checks of the URLs and host:port entries in the config, so that what
 * passes --check-config cannot fail to parse (and crash) once the clients
 * are built. Messages never quote the value: a URL may carry a password.
 */
export interface UrlRules {
  /** Accepted protocols, e.g. ['redis:', 'rediss:']. */
  schemes: readonly string[];
  /** The path is a Redis db index: empty, or a non-negative integer. */
  redisDb?: boolean;
  /** A host is required (HTTP APIs); Redis and Postgres fall back to a local default. */
  requireHost?: boolean;
  /** `user@/db` (no host: the default socket) is valid, as pg reads it. */
  userWithoutHost?: boolean;
}

const MAX_DB = 2 ** 31 - 1;

function decodes(s: string): boolean {
  try {
    decodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

/** new URL(), or undefined when it throws (URL.parse needs Node ≥ 20.18). */
export function tryUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function parse(text: string, userWithoutHost = false): URL | undefined {
  // pg reads postgres://user@/db by putting a dummy host in; the Redis client gets new URL(), which has no such way.
  return tryUrl(text) ?? (userWithoutHost ? tryUrl(text.replace('@/', '@localhost/')) : undefined);
}

/** What makes `text` unusable under `rules`, or undefined when it is fine. */
export function urlProblem(text: string, rules: UrlRules): string | undefined {
  const schemes = rules.schemes.map((s) => `${s}//`).join(' or ');
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(text)?.[1]?.toLowerCase();
  if (!scheme || !rules.schemes.includes(scheme)) return `must start with ${schemes}`;
  const url = parse(text, rules.userWithoutHost);
  if (!url) return 'is not a valid URL (a port from 1 to 65535; escape special characters in user and password as %XX)';
  if (url.port === '0') return 'port must be from 1 to 65535';
  if (!decodes(url.username) || !decodes(url.password)) return 'user or password has a broken %-escape (write a literal % as %25)';
  if (rules.requireHost && !url.hostname) return 'must name a host';
  if (rules.redisDb) {
    const db = url.pathname.replace(/^\//, '');
    if (db !== '' && (!/^\d+$/.test(db) || Number(db) > MAX_DB)) return 'database (the path after the host) must be a non-negative integer, e.g. /0';
  }
  return undefined;
}

/** A URL string validated with urlProblem. */
export function urlSchema(rules: UrlRules) {
  return z.string().superRefine((value, ctx) => {
    const problem = urlProblem(value, rules);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** A `host:port` entry (Sentinel, Cluster nodes; an IPv6 host in brackets), port from 1 to 65535. */
export const hostPortSchema = z.string().superRefine((value, ctx) => {
  const m = /^([^:\s/@[\]]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) ctx.addIssue({ code: 'custom', message: 'must be host:port (an IPv6 host in brackets), with a port from 1 to 65535' });
});
