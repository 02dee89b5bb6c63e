/**
 * kube-apiserver's audit flags, shared by `transplant garden` and `transplant seed`. Unlike
 * kube-apiserver, whose log is off unless `--audit-log-path` is given, the log is on by default
 * in the state directory (it is how a compromised seed's requests are found out afterwards);
 * `--audit-log-path ''` turns it off. A policy file is read and checked before anything starts.
 */
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { AuditLogConfig } from '../apiserver/audit/audit-log.js';
import type { AuditPolicy } from '../apiserver/audit/policy.js';

export interface AuditFlags {
  auditLogPath?: string;
  auditPolicyFile?: string;
  auditLogMaxsize: number;
  auditLogMaxbackup: number;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return n;
}

/** Adds the audit flags to `command`; `server` names whose API server they are about. */
export function addAuditFlags(command: Command, server: string): Command {
  return command
    .option(
      '--audit-log-path <file>',
      `where ${server} records every request as audit.k8s.io/v1 events, one JSON line each (file 0600); '' turns it off (default DIR/audit/audit.log)`,
    )
    .option(
      '--audit-policy-file <file>',
      'an audit.k8s.io/v1 Policy: which requests are recorded at which level (default: docs/security.md, "Audit log")',
    )
    .option('--audit-log-maxsize <megabytes>', 'rotate the audit log when it reaches this size; 0: never', count, 100)
    .option('--audit-log-maxbackup <count>', 'rotated audit logs to keep; 0: all', count, 10);
}

/** The policy of the flags: the file's (checked), or the default. */
export async function auditPolicyFromFlags(flags: AuditFlags): Promise<AuditPolicy | undefined> {
  if (!flags.auditPolicyFile) return undefined;
  // Loaded here, not at the top: `transplant node` and `down` load no API server code (program.ts).
  const { readAuditPolicyFile } = await import('../apiserver/audit/audit-log.js');
  return readAuditPolicyFile(flags.auditPolicyFile);
}

/** The audit log of the flags for a server with state directory `dir`; undefined when turned off. */
export function auditLogFromFlags(
  flags: AuditFlags,
  dir: string,
  policy: AuditPolicy | undefined,
): AuditLogConfig | undefined {
  const path = flags.auditLogPath ?? join(dir, 'audit', 'audit.log');
  if (path === '') return undefined;
  return {
    path,
    ...(policy ? { policy } : {}),
    maxSizeMegabytes: flags.auditLogMaxsize,
    maxBackups: flags.auditLogMaxbackup,
  };
}
