/**
 * The REST verbs on a store (k8s endpoints/handlers: get, list, create, update, patch, delete,
 * deletecollection): checks that the request fits the resource's scope and the client's Accept
 * header, reads the body the verb takes, calls the store and writes back the object, list or
 * Table. The server routes here once it has found the store; watches stream in watch-handler.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, invalid, methodNotAllowed, notAcceptable, pathNotFound, successStatus } from '../api/errors.js';
import { isRecord, type KubeObject } from '../api/meta.js';
import { partialObjectMetadata, partialObjectMetadataList } from '../api/partial-object-metadata.js';
import type { WatchRegistration } from './filters/request-limits.js';
import { parseBody, readBody, sendJson, sendJsonParts } from './http-util.js';
import { patchTypeOf } from './patch.js';
import { PROPAGATION_POLICIES, type PropagationPolicy } from './registry/deletion.js';
import type { DeleteOptions, FieldValidation, GenericStore, RequestContext } from './registry/generic-store.js';
import type { RequestInfo } from './request-info.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { type IncludeObject, toTable, wantsTable } from './table.js';
import type { UserInfo } from './types.js';
import { serveWatch } from './watch-handler.js';
import { writeOptionsOf } from './write-options.js';

export interface ResourceHandlerOptions {
  maxBodyBytes: number;
  /** Seconds between watch bookmarks when a client allows them. */
  bookmarkIntervalSeconds: number;
  /** The stops of the watches being served; stopping the server calls each. */
  openWatches: WatchRegistration;
  /** Checks that the requester may `create` the object named (for an apply that creates it). */
  authorizeCreate(info: RequestInfo): Promise<void>;
}

export async function serveResource(
  req: IncomingMessage,
  res: ServerResponse,
  store: GenericStore,
  info: RequestInfo,
  query: URLSearchParams,
  user: UserInfo,
  options: ResourceHandlerOptions,
): Promise<void> {
  if (store.def.namespaced === false && info.namespace && info.resource !== 'namespaces') throw pathNotFound();
  if (info.subresource && !store.hasSubresource(info.subresource)) throw pathNotFound();
  if (store.def.namespaced && !info.namespace && info.verb !== 'list' && info.verb !== 'watch') {
    // Only list and watch are served across namespaces, as in Kubernetes.
    throw methodNotAllowed(
      `${req.method} is not allowed on ${info.resource} across namespaces: use ${info.apiPrefix === 'api' ? '/api' : `/apis/${info.apiGroup}`}/${info.apiVersion}/namespaces/<namespace>/${info.resource}`,
    );
  }
  const warnings: string[] = [];
  // A deprecated version warns on every request, reads and lists included.
  if (store.def.deprecationWarning) {
    warnings.push(store.def.deprecationWarning);
    res.setHeader('Warning', warningHeaders(warnings));
  }
  const fieldValidation = parseFieldValidation(query.get('fieldValidation'));
  const userAgent = req.headers['user-agent'];
  const context = (kind: Parameters<typeof writeOptionsOf>[1], apply = false) => {
    const { dryRun, fieldManager, force } = writeOptionsOf(query, kind, userAgent, apply);
    return { ctx: { user, dryRun, fieldManager, fieldValidation, warnings } satisfies RequestContext, force };
  };
  const accept = req.headers.accept;
  const table = wantsTable(accept);
  const metadataOnly = !table && wantsPartialObjectMetadata(accept);
  if (!table && accept && !acceptsJson(accept))
    throw notAcceptable(`only application/json, Table and PartialObjectMetadata responses are served`);
  const includeObject = (query.get('includeObject') ?? 'Metadata') as IncludeObject;
  const respond = (code: number, obj: KubeObject) => {
    if (warnings.length > 0) res.setHeader('Warning', warningHeaders(warnings));
    sendJson(
      res,
      code,
      table
        ? toTable(store.def, [obj], { resourceVersion: obj.metadata.resourceVersion }, { includeObject })
        : metadataOnly
          ? partialObjectMetadata(obj)
          : obj,
    );
  };

  switch (info.verb) {
    case 'get':
      return respond(200, await store.get(info.namespace, info.name));
    case 'list': {
      const listQuery = {
        labelSelector: parseLabelSelector(query.get('labelSelector')),
        fieldSelector: parseFieldSelector(query.get('fieldSelector'), store.selectableFieldNames()),
        limit: parseLimit(query.get('limit')),
        continue: query.get('continue') ?? undefined,
      };
      const json = table || metadataOnly ? undefined : await store.listJson(info.namespace, listQuery);
      if (json) return sendJsonParts(res, json.head, json.items, json.tail);
      const list = await store.list(info.namespace, listQuery);
      sendJson(
        res,
        200,
        table
          ? toTable(store.def, list.items, list.metadata, { includeObject })
          : metadataOnly
            ? partialObjectMetadataList(list)
            : list,
      );
      return;
    }
    case 'watch':
      return serveWatch(req, res, store, info, query, {
        table,
        metadataOnly,
        includeObject,
        bookmarkIntervalSeconds: options.bookmarkIntervalSeconds,
        openWatches: options.openWatches,
      });
    case 'create': {
      if (info.subresource) throw methodNotAllowed(`POST is not allowed on ${info.resource}/${info.subresource}`);
      // A create goes to the collection; kube-apiserver serves no POST on an object's own URL.
      if (info.name) throw methodNotAllowed(`POST is not allowed on a named ${info.resource}: POST to the collection`);
      const { ctx } = context('CreateOptions');
      const created = await store.create(info.namespace, await readObject(req, options.maxBodyBytes), ctx);
      return respond(201, created);
    }
    case 'update': {
      const { ctx } = context('UpdateOptions');
      const updated = await store.update(
        info.namespace,
        info.name,
        info.subresource,
        await readObject(req, options.maxBodyBytes),
        ctx,
      );
      return respond(200, updated);
    }
    case 'patch': {
      const patchType = patchTypeOf(req.headers['content-type']);
      const { ctx, force } = context('PatchOptions', patchType === 'apply');
      const patch = await readJson(req, options.maxBodyBytes, patchType === 'apply');
      if (patchType !== 'apply') {
        return respond(200, await store.patch(info.namespace, info.name, info.subresource, patchType, patch, ctx));
      }
      const authorizeCreate = () => options.authorizeCreate(info);
      const applied = await store.apply(
        info.namespace,
        info.name,
        info.subresource,
        patch,
        { force, authorizeCreate },
        ctx,
      );
      return respond(applied.created ? 201 : 200, applied.object);
    }
    case 'delete': {
      if (info.subresource) throw methodNotAllowed(`DELETE is not allowed on ${info.resource}/${info.subresource}`);
      const { ctx } = context('DeleteOptions');
      const deleteOptions = await readDeleteOptions(req, query, options.maxBodyBytes);
      const deleted = await store.delete(info.namespace, info.name, ctx, deleteOptions);
      return respond(200, deleted);
    }
    case 'deletecollection': {
      const { ctx } = context('DeleteOptions');
      const list = await store.list(info.namespace, {
        labelSelector: parseLabelSelector(query.get('labelSelector')),
        fieldSelector: parseFieldSelector(query.get('fieldSelector'), store.selectableFieldNames()),
      });
      for (const item of list.items) await store.delete(item.metadata.namespace ?? '', item.metadata.name!, ctx, {});
      sendJson(res, 200, successStatus());
      return;
    }
    default:
      throw methodNotAllowed(`the server does not allow this method on the requested resource`);
  }
}

/** The body as JSON or YAML; an apply configuration's decoding errors in Kubernetes' words. */
async function readJson(req: IncomingMessage, maxBodyBytes: number, apply = false): Promise<unknown> {
  const raw = await readBody(req, maxBodyBytes);
  if (!apply) return parseBody(raw, req.headers['content-type']);
  try {
    return parseBody(raw, req.headers['content-type']);
  } catch (err) {
    throw badRequest(
      `error decoding YAML: ${(err as Error).message.replace(/^the request body is not valid YAML: /, '')}`,
    );
  }
}

async function readObject(req: IncomingMessage, maxBodyBytes: number): Promise<KubeObject> {
  const body = await readJson(req, maxBodyBytes);
  if (!isRecord(body)) throw badRequest('the request body must be an object');
  return body as KubeObject;
}

async function readDeleteOptions(
  req: IncomingMessage,
  query: URLSearchParams,
  maxBodyBytes: number,
): Promise<DeleteOptions> {
  const raw = await readBody(req, maxBodyBytes);
  const options: DeleteOptions = {};
  let policy: unknown = query.get('propagationPolicy') ?? undefined;
  let grace: unknown = query.get('gracePeriodSeconds') ?? undefined;
  if (raw.length > 0 && raw.toString('utf8').trim() !== '') {
    const body = parseBody(raw, req.headers['content-type']);
    if (isRecord(body) && isRecord(body.preconditions)) {
      options.preconditions = {
        uid: typeof body.preconditions.uid === 'string' ? body.preconditions.uid : undefined,
        resourceVersion:
          typeof body.preconditions.resourceVersion === 'string' ? body.preconditions.resourceVersion : undefined,
      };
    }
    if (isRecord(body) && body.propagationPolicy !== undefined) policy = body.propagationPolicy;
    if (isRecord(body) && body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null) {
      grace = body.gracePeriodSeconds;
    }
    // The deprecated orphanDependents, as Kubernetes still reads it.
    if (isRecord(body) && policy === undefined && typeof body.orphanDependents === 'boolean') {
      policy = body.orphanDependents ? 'Orphan' : 'Background';
    }
  }
  if (policy !== undefined) {
    if (!PROPAGATION_POLICIES.includes(policy as PropagationPolicy)) {
      throw invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [
        {
          type: 'FieldValueNotSupported',
          path: 'propagationPolicy',
          message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`,
        },
      ]);
    }
    options.propagationPolicy = policy as PropagationPolicy;
  }
  if (grace !== undefined) options.gracePeriodSeconds = gracePeriodSeconds(grace);
  return options;
}

/** `gracePeriodSeconds` of DeleteOptions (body) or the query: an integer; negative means "at once" for the kinds that use it. */
function gracePeriodSeconds(value: unknown): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [
      {
        type: 'FieldValueInvalid',
        path: 'gracePeriodSeconds',
        message: `Invalid value: ${JSON.stringify(value)}: must be an integer`,
      },
    ]);
  }
  return n;
}

/**
 * True when the Accept header asks for objects as PartialObjectMetadata (`as=PartialObjectMetadata`
 * for one object, `as=PartialObjectMetadataList` for lists and watches; `g=meta.k8s.io`, `v=v1`),
 * as Kubernetes' metadata client and garbage collector do.
 */
export function wantsPartialObjectMetadata(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const params = new Map(
      part
        .split(';')
        .slice(1)
        .map((p) => p.trim().split('=') as [string, string]),
    );
    return (
      /^PartialObjectMetadata(List)?$/.test(params.get('as') ?? '') &&
      params.get('g') === 'meta.k8s.io' &&
      params.get('v') === 'v1'
    );
  });
}

function acceptsJson(accept: string): boolean {
  return accept.split(',').some((part) => {
    const media = part.split(';')[0]!.trim();
    return media === 'application/json' || media === '*/*' || media === 'application/*' || media === 'application/yaml';
  });
}

/**
 * `limit`: a decimal int64 as Kubernetes parses it ("1e20" and "2.0" are not), held to what a
 * store can page by: a limit of 1e20 reached SQLite as a REAL ("datatype mismatch", a 500).
 */
export function parseLimit(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^[0-9]{1,19}$/.test(value) || BigInt(value) > maxInt64) {
    throw badRequest(`limit must be a non-negative integer, got "${value}"`);
  }
  return Math.min(Number(value), maxListLimit);
}

const maxInt64 = 2n ** 63n - 1n;
/** More than any store holds; beyond 2^31 a limit only means "all". */
const maxListLimit = 2 ** 31 - 1;

/** `fieldValidation`: Ignore, Warn (the default) or Strict. */
function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '') return 'Warn';
  if (value === 'Ignore' || value === 'Warn' || value === 'Strict') return value;
  throw badRequest(`fieldValidation must be one of "Ignore", "Warn" or "Strict", got "${value}"`);
}

/** HTTP `Warning` headers (RFC 7234, code 299 as Kubernetes sends them), each warning once. */
export function warningHeaders(warnings: readonly string[]): string[] {
  const headers: string[] = [];
  let total = 0;
  for (const text of new Set(warnings)) {
    const cut = [...text].length > maxWarningRunes ? `${[...text].slice(0, maxWarningRunes).join('')}...` : text;
    const header = `299 - ${quoteWarning(cut)}`;
    total += header.length;
    if (total > maxWarningsTotalBytes) break;
    headers.push(header);
  }
  return headers;
}

/**
 * Limits on warnings as Kubernetes has them (`truncateItemRunes`, `truncateAtTotalRunes`), the
 * total counted on the escaped headers, half of what Node's client reads: without them an object
 * with thousands of unknown fields answered headers no client could read ("Header overflow"), as
 * the API fuzzer found.
 */
const maxWarningRunes = 256;
const maxWarningsTotalBytes = 8 * 1024;

/**
 * A warning's text quoted for a header: escaped to printable ASCII, as header values may hold
 * nothing else (an unknown field named with an emoji or a newline made `setHeader` throw: a 500
 * the API fuzzer found).
 */
function quoteWarning(text: string): string {
  return JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
