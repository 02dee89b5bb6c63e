/**
 * OpenAPI v3 documents generated from the resource definitions. kubectl reads them to learn
 * that the server validates fields itself (the `fieldValidation` query parameter on PATCH), and
 * `kubectl explain` reads the schemas. A kind with a full schema (`openApiSchema`: the built-in
 * kinds, Gardener's, custom resources) is published with it; the server drops the fields it does
 * not list (`pruneUnknownFields`). Any other kind's schema preserves unknown fields.
 */
import { createHash } from 'node:crypto';
import type { ExtraResource, GroupVersion } from './discovery.js';
import { apiVersionOf, type ResourceDefinition } from './types.js';

type Json = Record<string, unknown>;

export class OpenApi {
  readonly #sources = new Map<string, () => Json>();
  readonly #docs = new Map<string, Json>();
  readonly #hashes = new Map<string, string>();

  /**
   * Documents are built when first asked for (the full schemas of built-in kinds cost tens of
   * milliseconds per group); a document's hash, which clients cache it by, comes from what it
   * describes, so the root is answered without building any.
   */
  constructor(
    defs: readonly ResourceDefinition[],
    groupVersions: readonly GroupVersion[],
    extra: readonly ExtraResource[] = [],
  ) {
    for (const gv of groupVersions) {
      const served = defs.filter((d) => d.group === gv.group && d.version === gv.version);
      const handled = extra.filter((e) => e.group === gv.group && e.version === gv.version);
      const identity = JSON.stringify([
        OPENAPI_BUILD,
        served.map((d) => [
          d.kind,
          d.plural,
          d.namespaced,
          d.hasStatus,
          d.subresources?.map((r) => r.name),
          d.schema,
          !!d.openApiSchema,
        ]),
        handled.map((e) => [e.kind, e.name]),
      ]);
      this.#hashes.set(pathOf(gv), createHash('sha512').update(identity).digest('hex').slice(0, 32).toUpperCase());
      this.#sources.set(pathOf(gv), () => buildDocument(gv, served, handled));
    }
  }

  root(): Json {
    const paths: Json = {};
    for (const [path, hash] of this.#hashes) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
    return { paths };
  }

  /** The document for `api/v1` or `apis/<group>/<version>`. */
  document(path: string): Json | undefined {
    let doc = this.#docs.get(path);
    if (!doc) {
      doc = this.#sources.get(path)?.();
      if (doc) this.#docs.set(path, doc);
    }
    return doc;
  }
}

/** The schemas of the fields every object has at its root: apiVersion, kind and metadata. */
export const objectRootProperties: Readonly<Record<string, Json>> = Object.freeze({
  apiVersion: {
    type: 'string',
    description: 'APIVersion defines the versioned schema of this representation of an object.',
  },
  kind: {
    type: 'string',
    description: 'Kind is a string value representing the REST resource this object represents.',
  },
  metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] },
});

/** Changes whenever the documents this code builds change shape, so clients drop cached ones. */
const OPENAPI_BUILD = 'transplant-openapi-3';

function pathOf(gv: GroupVersion): string {
  return gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`;
}

function schemaName(def: { group: string; version: string; kind: string }): string {
  const group = def.group ? def.group.split('.').reverse().join('.') : 'io.k8s.api.core';
  return `${group}.${def.version}.${def.kind}`;
}

const queryParam = (name: string, type: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const commonWriteParams = [
  queryParam('dryRun', 'string', 'When present, indicates that modifications should not be persisted.'),
  queryParam('fieldManager', 'string', 'A name associated with the actor or entity that is making these changes.'),
  queryParam(
    'fieldValidation',
    'string',
    'How the server treats unknown or duplicate fields: Ignore, Warn (default) or Strict.',
  ),
];

/** Kinds with a status subresource have a spec and a status; their fields are not modelled here. */
function specAndStatus(kind: string): Json {
  const open = (description: string) => ({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true });
  return {
    spec: open(`Specification of the ${kind}.`),
    status: open(`Most recently observed status of the ${kind}; written through the status subresource.`),
  };
}

function buildDocument(gv: GroupVersion, defs: readonly ResourceDefinition[], extra: readonly ExtraResource[]): Json {
  const schemas: Json = {
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
      type: 'object',
      description: 'Standard object metadata.',
      'x-kubernetes-preserve-unknown-fields': true,
    },
  };
  const paths: Json = {};
  const base = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
  for (const def of defs) {
    const gvk = [{ group: def.group, version: def.version, kind: def.kind }];
    const ref = { $ref: `#/components/schemas/${schemaName(def)}` };
    const full = def.openApiSchema?.();
    if (full) Object.assign(schemas, full.components);
    schemas[schemaName(def)] = full
      ? { ...full.schema, 'x-kubernetes-group-version-kind': gvk }
      : {
          type: 'object',
          description: `${def.kind} (${apiVersionOf(def)})`,
          properties: {
            ...objectRootProperties,
            ...(def.hasStatus === false ? {} : specAndStatus(def.kind)),
            ...((def.schema?.properties as Json | undefined) ?? {}),
          },
          'x-kubernetes-preserve-unknown-fields': true,
          'x-kubernetes-group-version-kind': gvk,
        };
    const content = { 'application/json': { schema: ref } };
    const operation = (verb: string, method: string) => ({
      operationId: `${method}${def.kind}`,
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk[0],
      parameters: verb === 'get' || verb === 'list' ? [] : commonWriteParams,
      responses: { '200': { description: 'OK', content } },
      ...(verb === 'get' || verb === 'delete' || verb === 'list' ? {} : { requestBody: { content } }),
    });
    const collection = def.namespaced ? `${base}/namespaces/{namespace}/${def.plural}` : `${base}/${def.plural}`;
    paths[collection] = { get: operation('list', 'list'), post: operation('post', 'create') };
    const item = {
      get: operation('get', 'read'),
      put: operation('put', 'replace'),
      patch: operation('patch', 'patch'),
      delete: operation('delete', 'delete'),
    };
    paths[`${collection}/{name}`] = item;
    for (const sub of [
      ...(def.hasStatus === false ? [] : ['status']),
      ...(def.subresources ?? []).map((s) => s.name),
    ]) {
      paths[`${collection}/{name}/${sub}`] = {
        get: operation('get', 'read'),
        put: operation('put', 'replace'),
        patch: operation('patch', 'patch'),
      };
    }
  }
  for (const e of extra) {
    paths[`${base}/${e.name}`] = {
      post: {
        operationId: `create${e.kind}`,
        'x-kubernetes-action': 'post',
        'x-kubernetes-group-version-kind': { group: e.group, version: e.version, kind: e.kind },
        parameters: commonWriteParams,
        responses: { '201': { description: 'Created' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Transplant', version: gv.group ? `${gv.group}/${gv.version}` : gv.version },
    paths,
    components: { schemas },
  };
}

/** The media type kubectl asks `/openapi/v2` for (gnostic's `openapi_v2.Document` in protobuf). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/**
 * `/openapi/v2`: a Swagger 2.0 document that declares no definitions. This server describes its
 * kinds in OpenAPI v3 only. kubectl still downloads v2 to validate on the client what v3 cannot
 * tell it about, e.g. a `kind: List` file; finding no definition for a kind, it leaves validation
 * to the server (every write takes `fieldValidation`), as it does for any kind a server does not
 * describe. Without the document, `kubectl create -f list.json` stops before sending anything.
 */
export function openApiV2(protobuf: boolean): { contentType: string; body: Buffer } {
  const title = 'Transplant';
  const version = 'v2';
  if (!protobuf) {
    const doc = { swagger: '2.0', info: { title, version }, paths: {}, definitions: {} };
    return { contentType: 'application/json', body: Buffer.from(JSON.stringify(doc)) };
  }
  // openapi_v2.Document: swagger = 1, info = 2 (Info: title = 1, version = 2), paths = 8.
  const info = Buffer.concat([protoString(1, title), protoString(2, version)]);
  const body = Buffer.concat([protoString(1, '2.0'), protoBytes(2, info), protoBytes(8, Buffer.alloc(0))]);
  return { contentType: OPENAPI_V2_PROTOBUF.replace('@', '.'), body };
}

function protoBytes(field: number, value: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(value.length), value]);
}

function protoString(field: number, value: string): Buffer {
  return protoBytes(field, Buffer.from(value, 'utf8'));
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let rest = n;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
