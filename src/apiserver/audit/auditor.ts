/**
 * Records each request as audit events (k8s apiserver/pkg/endpoints/filters/audit.go): the
 * server begins a `RequestAudit` as the first thing it does with a request, tells it who the
 * user is and what authorization decided; the event of each stage the policy keeps is written
 * as one JSON line: RequestReceived once the user is known, ResponseStarted when a watch starts
 * streaming, ResponseComplete when the response has been sent (or the client went away), Panic
 * when the handler failed unexpectedly.
 *
 * Whatever answers a request is audited with the code it sent, refusals included (401, 403,
 * 413, 429…): the event is written when the response ends. The handlers that read a body or
 * send a Status report them through `auditRequestBody` and `auditResponseStatus`, keyed by the
 * request or response, so no handler needs the audit passed down to it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { Status } from '../../api/errors.js';
import { isRecord } from '../../api/meta.js';
import { parseRequestInfo, type RequestInfo } from '../request-info.js';
import type { UserInfo } from '../types.js';
import {
  type AuditEvent,
  type AuditLevel,
  type AuditResponseStatus,
  type AuditStage,
  type AuditUser,
  levelAtLeast,
} from './event.js';
import { enforceLevelLimits, holdsSecrets, isBinding } from './level-limits.js';
import { type AuditPolicy, evaluatePolicy } from './policy.js';

/** Where events go, one JSON line each (`AuditFileWriter`). */
export interface AuditSink {
  write(line: string): void;
}

/** The response header carrying the request's audit ID, as kube-apiserver sends it. */
export const auditIdHeader = 'Audit-Id';

/** Response bodies larger than this are not recorded at RequestResponse (the event says so). */
const maxRecordedResponseBytes = 3 * 1024 * 1024;

const audits = new WeakMap<IncomingMessage | ServerResponse, RequestAudit>();

/** The audit of a request, by its request or response; undefined when the server does not audit. */
export function requestAuditOf(reqOrRes: IncomingMessage | ServerResponse): RequestAudit | undefined {
  return audits.get(reqOrRes);
}

/** Called by whatever reads a request body: the body of the request object (Request level). */
export function auditRequestBody(req: IncomingMessage, raw: Buffer): void {
  audits.get(req)?.requestBody(raw);
}

/** Called by whatever answers with a Status: its reason and message go into `responseStatus`. */
export function auditResponseStatus(res: ServerResponse, status: Status): void {
  audits.get(res)?.responseStatus(status);
}

/** Called when a long-running response (a watch) has sent its headers. */
export function auditResponseStarted(res: ServerResponse): void {
  audits.get(res)?.responseStarted();
}

export class Auditor {
  readonly #policy: AuditPolicy;
  readonly #sink: AuditSink;

  constructor(policy: AuditPolicy, sink: AuditSink) {
    this.#policy = policy;
    this.#sink = sink;
  }

  /** Starts auditing a request: sets its `Audit-Id` header and writes its events as it goes. */
  begin(req: IncomingMessage, res: ServerResponse): RequestAudit {
    const audit = new RequestAudit(this.#policy, this.#sink, req, res);
    audits.set(req, audit);
    audits.set(res, audit);
    return audit;
  }
}

type Decision = { level: AuditLevel; omitStages: readonly AuditStage[]; omitManagedFields: boolean };

export class RequestAudit {
  readonly id: string;
  readonly #policy: AuditPolicy;
  readonly #sink: AuditSink;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #info: RequestInfo;
  readonly #received = new Date().toISOString();
  #user: UserInfo | undefined;
  #decision: Decision | undefined;
  #annotations: Record<string, string> = {};
  #requestBody: Buffer | undefined;
  #parsedBody: { value: unknown } | undefined;
  #status: Status | undefined;
  #responseChunks: Buffer[] | undefined;
  #responseTooLarge = false;
  #done = false;

  constructor(policy: AuditPolicy, sink: AuditSink, req: IncomingMessage, res: ServerResponse) {
    this.#policy = policy;
    this.#sink = sink;
    this.#req = req;
    this.#res = res;
    this.id = auditIdOf(req.headers['audit-id']);
    // Parsed exactly as the server routes it (`#handle`): `/api/v1/x/../secrets` is a Secret here too.
    const url = new URL(req.url ?? '/', 'https://localhost');
    this.#info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    res.setHeader(auditIdHeader, this.id);
    // 'close' comes once the response has been sent, and when the client went away before.
    res.once('close', () => this.#complete());
  }

  /** The user the request runs as, once authenticated (or `system:anonymous` on a public path). */
  identified(user: UserInfo): void {
    this.#user = user;
    const decision = this.#decide();
    if (decision.level !== 'None' && levelAtLeast(decision.level, 'RequestResponse') && this.#info.verb !== 'watch') {
      this.#captureResponse();
    }
    this.#emit('RequestReceived');
  }

  /** What authorization decided, as kube-apiserver annotates it. */
  authorized(allowed: boolean, reason: string): void {
    this.annotate('authorization.k8s.io/decision', allowed ? 'allow' : 'forbid');
    if (reason) this.annotate('authorization.k8s.io/reason', reason);
  }

  /** Adds an annotation to the request's events (k8s audit.AddAuditAnnotation). */
  annotate(key: string, value: string): void {
    this.#annotations[key] = value;
  }

  requestBody(raw: Buffer): void {
    this.#requestBody = raw;
  }

  responseStatus(status: Status): void {
    this.#status = status;
  }

  responseStarted(): void {
    this.#emit('ResponseStarted');
  }

  /** The handler failed unexpectedly: the Panic stage stands in for ResponseComplete. */
  panicked(err: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#emit('Panic', {
      metadata: {},
      code: 500,
      status: 'Failure',
      reason: 'InternalError',
      message: `APIServer panic'd: ${(err as Error)?.message ?? String(err)}`,
    });
  }

  #complete(): void {
    if (this.#done) return;
    this.#done = true;
    this.#emit('ResponseComplete');
  }

  #decide(): Decision {
    if (!this.#decision) {
      const decided = evaluatePolicy(this.#policy, { user: this.#user, info: this.#info });
      this.#decision = { ...decided, level: enforceLevelLimits(decided.level, this.#info) };
    }
    return this.#decision;
  }

  #emit(stage: AuditStage, responseStatus?: AuditResponseStatus): void {
    const { level, omitStages, omitManagedFields } = this.#decide();
    if (level === 'None') return;
    if (omitStages.includes(stage) && !(stage === 'ResponseComplete' && isBinding(this.#info))) return;
    const info = this.#info;
    const event: AuditEvent = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level,
      auditID: this.id,
      stage,
      requestURI: this.#req.url ?? '/',
      verb: info.verb,
      user: auditUser(this.#user),
      sourceIPs: sourceIps(this.#req),
      ...(this.#req.headers['user-agent'] ? { userAgent: this.#req.headers['user-agent'] } : {}),
      requestReceivedTimestamp: this.#received,
      stageTimestamp: '',
    };
    const requestObject =
      levelAtLeast(level, 'Request') && stage !== 'RequestReceived' ? this.#requestObject() : undefined;
    if (info.resourceRequest) {
      event.objectRef = compact({
        resource: info.resource,
        namespace: info.namespace,
        // A create names its object in the body, as kube-apiserver's objectRef does.
        name: info.name || (info.verb === 'create' ? nameOf(this.#requestObject()) : ''),
        apiGroup: info.apiGroup,
        apiVersion: info.apiVersion,
        subresource: info.subresource,
      });
    }
    if (stage !== 'RequestReceived') event.responseStatus = responseStatus ?? this.#responseStatusOf();
    if (requestObject !== undefined) event.requestObject = strip(requestObject, omitManagedFields);
    if (levelAtLeast(level, 'RequestResponse') && (stage === 'ResponseComplete' || stage === 'Panic')) {
      const responseObject = this.#responseObject();
      if (responseObject !== undefined) event.responseObject = strip(responseObject, omitManagedFields);
      else if (this.#responseTooLarge) this.annotate('transplant.gardener.cloud/response-omitted', 'larger than 3 MiB');
    }
    event.stageTimestamp = new Date().toISOString();
    if (Object.keys(this.#annotations).length > 0) event.annotations = { ...this.#annotations };
    this.#sink.write(JSON.stringify(event));
  }

  #responseStatusOf(): AuditResponseStatus {
    const code = this.#res.statusCode;
    const status: AuditResponseStatus = { metadata: {}, code };
    const sent = this.#status;
    if (sent && sent.code === code) {
      status.status = sent.status;
      if (sent.reason) status.reason = sent.reason;
      // A failure's message may quote a field of the object; not for objects holding secrets.
      if (sent.message && !holdsSecrets(this.#info)) status.message = sent.message;
    }
    return status;
  }

  #requestObject(): unknown {
    if (!this.#requestBody || this.#requestBody.length === 0) return undefined;
    this.#parsedBody ??= { value: parseDocument(this.#requestBody.toString('utf8')) };
    return this.#parsedBody.value;
  }

  #responseObject(): unknown {
    if (!this.#responseChunks || this.#responseTooLarge) return undefined;
    const type = String(this.#res.getHeader('content-type') ?? '');
    if (!type.includes('json')) return undefined;
    return parseDocument(Buffer.concat(this.#responseChunks).toString('utf8'));
  }

  /** Keeps a copy of what the handler writes, for RequestResponse (never for a watch). */
  #captureResponse(): void {
    const chunks: Buffer[] = [];
    this.#responseChunks = chunks;
    let size = 0;
    const take = (chunk: unknown, encoding: unknown) => {
      if (this.#responseTooLarge || chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const bytes = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      size += bytes.length;
      if (size > maxRecordedResponseBytes) {
        this.#responseTooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(bytes);
      }
    };
    const res = this.#res;
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((...args: unknown[]) => {
      take(args[0], args[1]);
      return write(...args);
    }) as typeof res.write;
    res.end = ((...args: unknown[]) => {
      take(args[0], args[1]);
      return end(...args);
    }) as typeof res.end;
  }
}

/** A client's `Audit-ID` is kept when it is a plain token (kube-apiserver keeps the client's). */
function auditIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.-]{1,128}$/.test(value) ? value : randomUUID();
}

function auditUser(user: UserInfo | undefined): AuditUser {
  if (!user) return {};
  return { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: [...user.groups] };
}

/** X-Forwarded-For, X-Real-Ip, then the peer's address, as kube-apiserver lists them. */
function sourceIps(req: IncomingMessage): string[] {
  const header = (name: string) => {
    const value = req.headers[name];
    return (Array.isArray(value) ? value.join(',') : (value ?? '')).split(',').map((s) => s.trim());
  };
  const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  return [...new Set([...header('x-forwarded-for'), ...header('x-real-ip'), peer].filter(Boolean))];
}

function parseDocument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parseYaml(text);
    } catch {
      return undefined;
    }
  }
}

function nameOf(obj: unknown): string {
  return isRecord(obj) && isRecord(obj.metadata) && typeof obj.metadata.name === 'string' ? obj.metadata.name : '';
}

/** Drops managedFields from an object or a list's items when the policy asks. */
function strip(obj: unknown, omitManagedFields: boolean): unknown {
  if (!omitManagedFields || !isRecord(obj)) return obj;
  const withoutFields = (o: unknown): unknown => {
    if (!isRecord(o) || !isRecord(o.metadata) || !('managedFields' in o.metadata)) return o;
    const { managedFields: _, ...metadata } = o.metadata;
    return { ...o, metadata };
  };
  const top = withoutFields(obj) as Record<string, unknown>;
  return Array.isArray(top.items) ? { ...top, items: top.items.map(withoutFields) } : top;
}

function compact<T extends Record<string, string>>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key in obj) if (obj[key] !== '') out[key] = obj[key];
  return out;
}
