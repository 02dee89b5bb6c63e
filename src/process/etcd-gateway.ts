/**
 * etcd's JSON gateway (`/v3/...` over HTTP(S) with the client certificate): health, a member's
 * status, the member list and membership changes. The druid and the
 * live migration's handover primitives (etcd-cluster-ops.ts) ask members through it; starting and
 * stopping the processes is etcd-process.ts.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { EtcdTls } from './etcd-process.js';

const HEALTH_REQUEST_TIMEOUT_MS = 2_000;

/**
 * Whether the etcd at `clientUrl` answers `GET /health` with `{"health":"true"}`. With TLS, the
 * client pair (or the server pair) is presented as the client certificate.
 */
export async function checkEtcdHealth(clientUrl: string, tls?: EtcdTls): Promise<boolean> {
  const body = await etcdRequest(clientUrl, 'GET', '/health', tls);
  return isRecordWith(body, 'health') && body.health === 'true';
}

/** What one member says of itself and its cluster (`POST /v3/maintenance/status`). */
export interface EtcdMemberStatusReport {
  /** The member's ID, a decimal string (a uint64). */
  memberId: string;
  /** The ID of the leader it follows, `0` when it knows none. */
  leaderId: string;
  /** The revision of its key space. */
  revision: number;
  /** The index it knows committed. */
  raftIndex: number;
  /** The index it has applied: its data is current up to there. */
  raftAppliedIndex: number;
  isLearner: boolean;
}

/**
 * The status of the member at `clientUrl` through etcd's gRPC gateway, undefined when it does
 * not answer (down, or cut off from its peers).
 */
export async function etcdMemberStatus(clientUrl: string, tls?: EtcdTls): Promise<EtcdMemberStatusReport | undefined> {
  const body = await etcdRequest(clientUrl, 'POST', '/v3/maintenance/status', tls, '{}');
  if (!isRecordWith(body, 'header') || !isRecordWith(body.header, 'member_id')) return undefined;
  return {
    memberId: String(body.header.member_id),
    leaderId: String(body.leader ?? '0'),
    revision: Number(body.header.revision ?? 0),
    raftIndex: Number(body.raftIndex ?? 0),
    raftAppliedIndex: Number(body.raftAppliedIndex ?? 0),
    isLearner: body.isLearner === true,
  };
}

/** One entry of `POST /v3/cluster/member/list`. */
export interface EtcdMemberEntry {
  /** Decimal string (a uint64). */
  id: string;
  /** Empty for a member added but never started. */
  name: string;
  peerUrls: string[];
  /** Empty for a member added but never started. */
  clientUrls: string[];
  isLearner: boolean;
}

/** The cluster's members as the member at `clientUrl` knows them; undefined when it does not answer. */
export async function etcdMemberList(clientUrl: string, tls?: EtcdTls): Promise<EtcdMemberEntry[] | undefined> {
  const body = await etcdRequest(clientUrl, 'POST', '/v3/cluster/member/list', tls, '{}');
  if (!isRecordWith(body, 'members') || !Array.isArray(body.members)) return undefined;
  return body.members.map((m: Record<string, unknown>) => ({
    id: String(m.ID),
    name: typeof m.name === 'string' ? m.name : '',
    peerUrls: Array.isArray(m.peerURLs) ? m.peerURLs.map(String) : [],
    clientUrls: Array.isArray(m.clientURLs) ? m.clientURLs.map(String) : [],
    isLearner: m.isLearner === true,
  }));
}

/** A change of the cluster's membership (etcd's Cluster service). */
export type EtcdMembershipChange =
  /** A learner at `peerUrl` (and `morePeerUrls`, the member's additional advertised ones). */
  | { op: 'add-learner'; peerUrl: string; morePeerUrls?: readonly string[] }
  | { op: 'remove' | 'promote'; id: string }
  /** The member's peer URLs replaced (a member switched to peer TLS, or advertising more). */
  | { op: 'update'; id: string; peerUrls: readonly string[] };

/**
 * A membership change through the member at `clientUrl`: `add` (a learner at `peerUrl`),
 * `remove`, `promote` or `update` (member `id`). Resolves whether etcd accepted it.
 */
export async function etcdMembershipChange(
  clientUrl: string,
  tls: EtcdTls | undefined,
  change: EtcdMembershipChange,
): Promise<boolean> {
  return (await etcdMembershipChangeResult(clientUrl, tls, change)).ok;
}

/** `etcdMembershipChange` with etcd's answer: the gateway's JSON, or why it failed. */
export function etcdMembershipChangeResult(
  clientUrl: string,
  tls: EtcdTls | undefined,
  change: EtcdMembershipChange,
): Promise<EtcdGatewayResult> {
  const [path, payload] =
    change.op === 'add-learner'
      ? ['/v3/cluster/member/add', { peerURLs: [change.peerUrl, ...(change.morePeerUrls ?? [])], isLearner: true }]
      : change.op === 'update'
        ? ['/v3/cluster/member/update', { ID: change.id, peerURLs: change.peerUrls }]
        : [`/v3/cluster/member/${change.op}`, { ID: change.id }];
  return etcdGateway(clientUrl, path, tls, payload);
}

/** What etcd's JSON gateway answered: the body of a 200, or why there is none (etcd's own message when it gave one). */
export type EtcdGatewayResult = { ok: true; body: unknown } | { ok: false; message: string };

/** A POST of `payload` (JSON) to etcd's gRPC gateway at `path` (e.g. `/v3/maintenance/hashkv`). */
export async function etcdGateway(
  clientUrl: string,
  path: string,
  tls: EtcdTls | undefined,
  payload: unknown = {},
): Promise<EtcdGatewayResult> {
  const answer = await etcdExchange(clientUrl, 'POST', path, tls, JSON.stringify(payload));
  if ('error' in answer) return { ok: false, message: `${clientUrl}${path}: ${answer.error}` };
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    body = undefined;
  }
  if (answer.status === 200 && body !== undefined) return { ok: true, body };
  // The gateway's error body: {"error": "...", "message": "...", "code": n}.
  const reason = isRecordWith(body, 'message') ? String(body.message) : answer.body.slice(0, 200);
  return { ok: false, message: `${clientUrl}${path}: HTTP ${answer.status}: ${reason}` };
}

/** A JSON request to an etcd's client listener; undefined on any failure or non-200 answer. */
async function etcdRequest(
  clientUrl: string,
  method: 'GET' | 'POST',
  path: string,
  tls: EtcdTls | undefined,
  payload?: string,
): Promise<unknown> {
  const answer = await etcdExchange(clientUrl, method, path, tls, payload);
  if ('error' in answer || answer.status !== 200) return undefined;
  try {
    return JSON.parse(answer.body);
  } catch {
    return undefined;
  }
}

/** One HTTP exchange with an etcd's client listener: its status and body, or the transport error. */
function etcdExchange(
  clientUrl: string,
  method: 'GET' | 'POST',
  path: string,
  tls: EtcdTls | undefined,
  payload?: string,
): Promise<{ status: number; body: string } | { error: string }> {
  const url = new URL(path, clientUrl);
  const client = tls?.client ?? tls;
  return new Promise((resolve) => {
    const options = {
      method,
      timeout: HEALTH_REQUEST_TIMEOUT_MS,
      ...(payload === undefined ? {} : { headers: { 'content-type': 'application/json' } }),
    };
    const onResponse = (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ error: err.message }));
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...options, ...tlsOptions(tls?.caPem, client?.certPem, client?.keyPem) }, onResponse)
        : httpRequest(url, options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', (err) => resolve({ error: err.message }));
    req.end(payload);
  });
}

/** Secure contexts by CA, certificate and key: one per identity, not one per request. */
const secureContexts = new Map<string, SecureContext>();
/** Identities a seed talks to etcd with: one per shoot and CA generation. Beyond this, start over. */
const maxSecureContexts = 64;

/**
 * The TLS options of a request: the PEMs (they name the agent's connection pool) and a secure
 * context made from them once. Making one parses the key and the CA each time, and the druid
 * checks every member's health every few seconds.
 */
function tlsOptions(ca?: string, cert?: string, key?: string) {
  const id = `${ca ?? ''}\0${cert ?? ''}\0${key ?? ''}`;
  let secureContext = secureContexts.get(id);
  if (!secureContext) {
    if (secureContexts.size >= maxSecureContexts) secureContexts.clear();
    secureContext = createSecureContext({ ca, cert, key });
    secureContexts.set(id, secureContext);
  }
  return { ca, cert, key, secureContext };
}

function isRecordWith<K extends string>(value: unknown, key: K): value is Record<K, unknown> & Record<string, unknown> {
  return typeof value === 'object' && value !== null && key in value;
}
