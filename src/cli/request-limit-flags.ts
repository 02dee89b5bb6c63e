/**
 * The flags of the garden's and the seed's API servers that cap requests and watches in flight,
 * named as kube-apiserver's where it has them (`--max-requests-inflight`,
 * `--max-mutating-requests-inflight`); docs/security.md, "Limits".
 */
import type { Command } from 'commander';
import { defaultRequestLimits, type RequestLimits } from '../apiserver/filters/request-limits.js';
import { limit } from './option-parsers.js';

export interface RequestLimitFlags {
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
  maxRequestsInflightPerUser: number;
  maxWatchesPerUser: number;
}

export function addRequestLimitFlags(command: Command): Command {
  const d = defaultRequestLimits;
  return command
    .option(
      '--max-requests-inflight <n>',
      'read-only requests served at once; more are refused with 429 (0: no limit)',
      limit,
      d.maxRequestsInFlight,
    )
    .option(
      '--max-mutating-requests-inflight <n>',
      'mutating requests served at once; more are refused with 429 (0: no limit)',
      limit,
      d.maxMutatingRequestsInFlight,
    )
    .option(
      '--max-requests-inflight-per-user <n>',
      "one user's requests served at once, watches not counted; more are refused with 429 (0: no limit)",
      limit,
      d.maxRequestsInFlightPerUser,
    )
    .option(
      '--max-watches-per-user <n>',
      "one user's open watches; more are refused with 429 (0: no limit)",
      limit,
      d.maxWatchesPerUser,
    );
}

export function requestLimitsOf(flags: RequestLimitFlags): RequestLimits {
  return {
    maxRequestsInFlight: flags.maxRequestsInflight,
    maxMutatingRequestsInFlight: flags.maxMutatingRequestsInflight,
    maxRequestsInFlightPerUser: flags.maxRequestsInflightPerUser,
    maxWatchesPerUser: flags.maxWatchesPerUser,
  };
}
