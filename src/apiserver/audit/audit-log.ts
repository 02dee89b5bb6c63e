/**
 * An audit log as a server is configured with it (kube-apiserver's `--audit-log-path`,
 * `--audit-policy-file`, `--audit-log-maxsize`, `--audit-log-maxbackup`): the policy and the
 * file, opened together; whoever opens it closes it after the server has stopped.
 */
import { readFile } from 'node:fs/promises';
import { AuditFileWriter } from './audit-file-writer.js';
import { Auditor } from './auditor.js';
import { type AuditPolicy, defaultAuditPolicy, parseAuditPolicy } from './policy.js';

export interface AuditLogConfig {
  /** The file events are appended to. */
  path: string;
  /** Default `defaultAuditPolicy`. */
  policy?: AuditPolicy;
  /** Rotate the file at this size; 0: never. Default 100. */
  maxSizeMegabytes?: number;
  /** Rotated files kept; 0: all. Default 10. */
  maxBackups?: number;
}

export interface AuditLog {
  auditor: Auditor;
  path: string;
  /** Writes every buffered event and closes the file. */
  close(): Promise<void>;
}

export async function openAuditLog(config: AuditLogConfig, onError: (err: Error) => void): Promise<AuditLog> {
  const writer = await AuditFileWriter.open({
    path: config.path,
    maxSizeMegabytes: config.maxSizeMegabytes ?? 100,
    maxBackups: config.maxBackups ?? 10,
    onError,
  });
  return {
    auditor: new Auditor(config.policy ?? defaultAuditPolicy, writer),
    path: config.path,
    close: () => writer.close(),
  };
}

/** Reads and checks a policy file; a mistake fails with every problem named. */
export async function readAuditPolicyFile(path: string): Promise<AuditPolicy> {
  return parseAuditPolicy(await readFile(path, 'utf8'), path);
}
