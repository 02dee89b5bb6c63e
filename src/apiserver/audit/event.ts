/**
 * The audit event as kube-apiserver writes it (`audit.k8s.io/v1` Event, one JSON line per
 * request stage), so that tools reading Kubernetes audit logs read ours.
 */

/** How much of a request is recorded, least to most (k8s audit.Level). */
export const auditLevels = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type AuditLevel = (typeof auditLevels)[number];

/** The stages a request's events are written at (k8s audit.Stage). */
export const auditStages = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type AuditStage = (typeof auditStages)[number];

/** True when `level` records at least as much as `than`. */
export function levelAtLeast(level: AuditLevel, than: AuditLevel): boolean {
  return auditLevels.indexOf(level) >= auditLevels.indexOf(than);
}

export interface AuditUser {
  username?: string;
  uid?: string;
  groups?: string[];
}

export interface AuditObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  apiGroup?: string;
  apiVersion?: string;
  subresource?: string;
}

export interface AuditResponseStatus {
  metadata: Record<string, never>;
  code: number;
  status?: 'Success' | 'Failure';
  reason?: string;
  message?: string;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: Exclude<AuditLevel, 'None'>;
  auditID: string;
  stage: AuditStage;
  requestURI: string;
  verb: string;
  user: AuditUser;
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: AuditObjectReference;
  responseStatus?: AuditResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}
