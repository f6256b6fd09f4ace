import type { Outcome as HttpOutcome } from './retry.js';

/**
 * The one `outcome` vocabulary of every API request counter
 * (fleet_aws_requests_total, fleet_daytona_requests_total), small enough to
 * alert on: each value calls for a different action. docs/metrics.md lists
 * these meanings (scripts/metrics-docs.ts).
 */
export const REQUEST_OUTCOME_MEANINGS = {
  success: 'the call worked',
  throttled: "the API's rate limit (HTTP 429 or a throttling error code): lower the refresh rate or ask for a higher limit",
  unauthorized: 'credentials rejected or lacking a permission (HTTP 401/403, AuthFailure, UnauthorizedOperation…): fix the key or the policy',
  timeout: 'no answer in time (the request timeout, HTTP 408/504)',
  error: 'anything else: other 4xx and 5xx, network errors, unreadable replies',
} as const;
export type RequestOutcome = keyof typeof REQUEST_OUTCOME_MEANINGS;
export const REQUEST_OUTCOMES = Object.keys(REQUEST_OUTCOME_MEANINGS) as RequestOutcome[];

/** For HELP texts, so /metrics and docs/metrics.md list the values. */
export const REQUEST_OUTCOMES_HELP = `outcome: ${REQUEST_OUTCOMES.join(', ')}`;

/** The retry helper's finer classification (it decides what to retry) → the label. */
export function fromHttpOutcome(o: HttpOutcome): RequestOutcome {
  return o === 'success' || o === 'throttled' || o === 'unauthorized' || o === 'timeout' ? o : 'error';
}
