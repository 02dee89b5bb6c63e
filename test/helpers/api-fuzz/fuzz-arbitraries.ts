/**
 * What the API fuzzer throws: fast-check arbitraries of whole HTTP requests against one API
 * surface, built from a valid sample object per resource. Every part shrinks (which resource,
 * which field, which bad value, how long, how deep), so a failure comes down to a small request.
 */
import fc from 'fast-check';
import { stringify as stringifyYaml } from 'yaml';
import type { KubeObject } from '../../../src/api/meta.js';

/** One resource of a surface the fuzzer writes to. */
export interface FuzzTarget {
  /** `api/v1` or `apis/<group>/<version>`. */
  groupVersionPath: string;
  plural: string;
  /** The namespace the sample lives in; undefined for a cluster-scoped resource. */
  namespace?: string;
  subresources: readonly string[];
  /** A valid object, created before the run and again whenever a request deleted it. */
  sample: KubeObject;
  /**
   * Never DELETE the whole collection: deleting every namespace would leave them all
   * terminating (no namespace controller runs here) and every later create refused; deleting
   * every Project would leave no namespace a Shoot may be created in.
   */
  keepCollection?: boolean;
}

/** A target at `groupVersionPath`/`plural` for `sample` (its namespace, if any, is the target's). */
export function fuzzTarget(
  groupVersionPath: string,
  plural: string,
  sample: KubeObject,
  subresources: readonly string[] = [],
  keepCollection = false,
): FuzzTarget {
  return {
    groupVersionPath,
    plural,
    keepCollection,
    ...(sample.metadata.namespace ? { namespace: sample.metadata.namespace } : {}),
    subresources,
    sample,
  };
}

/** A request as generated: strings only, so that a counterexample prints readably. */
export interface GeneratedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Which target it aims at (for restoring its sample), -1 for none. */
  target: number;
}

// biome-ignore lint/suspicious/noExplicitAny: the fuzzer edits decoded JSON freely
type Json = any;

/**
 * A value standing for a deeply nested JSON text; JSON.stringify would overflow the test's own
 * stack, so the text is spliced in after stringifying.
 */
const DEEP_MARK = '\u0000deep:';

/** `depth` nested arrays, or objects (capped to stay within the ~1 MiB the fuzzer sends). */
function deepText(depth: number, shape: string): string {
  if (shape === 'a') return '['.repeat(depth) + ']'.repeat(depth);
  const objects = Math.min(depth, 20_000);
  return `${'{"a":'.repeat(objects)}1${'}'.repeat(objects)}`;
}

/** JSON text for `value`, with deep-nesting marks replaced by their nested text. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000deep:(\d+):([ao])"/g, (_m, depth: string, shape: string) =>
    deepText(Number(depth), shape),
  );
}

const oddPieces = [
  '\u202e', // right-to-left override
  '\u200f', // right-to-left mark
  '\u0000',
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '😀',
  'e\u0301', // NFD é
  '\u00e9', // NFC é
  '\ufeff',
  '\u00a0',
  '..',
  '.',
  '%',
  '%2F',
  '/',
  ' ',
  'A',
  '\n',
  ':',
  '*',
  '\\',
  '"',
  '<script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder is what it sends
  '${x}',
  'a',
  '-',
];

/** Strings meant to break names, keys and values: odd unicode, separators, path pieces. */
export const oddString = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.array(fc.constantFrom(...oddPieces), { minLength: 1, maxLength: 6 }).map((p) => p.join('')),
  },
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: 64, max: 70_000 }).map((n) => 'a'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 900_000 }).map((n) => 'b'.repeat(n)) },
);

/** Values of the wrong type or shape for any field. */
export const badValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 12, arbitrary: oddString },
  {
    weight: 12,
    arbitrary: fc.constantFrom<Json>(
      null,
      true,
      0,
      -1,
      1.5,
      -0.5,
      2 ** 53 + 2,
      -(2 ** 63),
      1e308,
      '',
      [],
      {},
      [null],
      [1, 'a'],
      { '': 1 },
      { __proto__: 1 },
      JSON.parse('{"__proto__":{"polluted":true}}'),
      { constructor: { prototype: { polluted: true } } },
      '1e400',
      '-1',
      'NaN',
      '0x10',
      '1Gi',
      '9999999999999999999999Ei',
      '2006-01-02T15:04:05Z',
      'not-a-date',
      '$patch',
      { $patch: 'delete' },
      { $patch: 'replace' },
      { $retainKeys: 'x' },
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => Array.from({ length: n }, () => 'x')) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 100, max: 2_000 })
      .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 20, max: 20_000 }), fc.constantFrom('a', 'o'))
      .map(([depth, shape]) => `${DEEP_MARK}${depth}:${shape}`),
  },
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Every path into `obj` (objects' keys, arrays' indices), the empty path included. */
function pathsOf(obj: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(obj)) for (const [i, item] of obj.entries()) pathsOf(item, [...prefix, i], out);
  else if (obj && typeof obj === 'object') for (const [k, v] of Object.entries(obj)) pathsOf(v, [...prefix, k], out);
  return out;
}

/** Fields of metadata the server owns or that name the object: writes must not move them. */
const metadataPaths: (string | number)[][] = [
  ['metadata', 'uid'],
  ['metadata', 'resourceVersion'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'deletionTimestamp'],
  ['metadata', 'deletionGracePeriodSeconds'],
  ['metadata', 'generation'],
  ['metadata', 'name'],
  ['metadata', 'generateName'],
  ['metadata', 'namespace'],
  ['metadata', 'managedFields'],
  ['metadata', 'ownerReferences'],
  ['metadata', 'finalizers'],
  ['metadata', 'labels'],
  ['metadata', 'annotations'],
  ['metadata', 'selfLink'],
  ['apiVersion'],
  ['kind'],
  ['status'],
];

function setAt(obj: Json, path: readonly (string | number)[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const base = obj !== null && typeof obj === 'object' ? obj : {};
  const copy: Json = Array.isArray(base) ? [...base] : { ...base };
  // Own property even for `__proto__`, as JSON.parse makes it.
  Object.defineProperty(copy, head, {
    value: setAt(base[head], rest, value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** The sample with one to three fields set to bad values, or with unknown fields added. */
function mutatedObject(sample: KubeObject): fc.Arbitrary<Json> {
  const paths = [...pathsOf(sample).filter((p) => p.length > 0), ...metadataPaths];
  const mutation = fc.tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...paths) },
      { weight: 1, arbitrary: fc.constantFrom(...paths).chain((p) => oddString.map((k) => [...p, k])) },
    ),
    badValue,
  );
  return fc
    .array(mutation, { minLength: 1, maxLength: 3 })
    .map((mutations) => mutations.reduce((obj, [path, value]) => setAt(obj, path, value), sample as Json));
}

/** JSON patch operations on the sample's paths (immutable metadata included) with bad values. */
function jsonPatch(sample: KubeObject): fc.Arbitrary<Json> {
  const pointers = [...pathsOf(sample), ...metadataPaths].map(
    (p) => `/${p.map((k) => String(k).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`,
  );
  const pointer = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...pointers) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '/', '/-', '/metadata/labels/-', '~2', '/a/b/c/d', '/spec/0/x', '/__proto__/x'),
    },
    { weight: 1, arbitrary: oddString },
  );
  const op = fc.record(
    {
      op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus', ''),
      path: pointer,
      value: badValue,
      from: pointer,
    },
    { requiredKeys: ['op'] },
  );
  return fc.oneof(
    { weight: 5, arbitrary: fc.array(op, { minLength: 1, maxLength: 4 }) },
    { weight: 1, arbitrary: badValue },
  );
}

/** A merge or strategic merge patch: a few of the sample's fields, some bad, some directives. */
function mergePatch(sample: KubeObject): fc.Arbitrary<Json> {
  const directives = fc.constantFrom<Json>(
    { $patch: 'delete' },
    { $patch: 'replace' },
    { $patch: 'bogus' },
    { metadata: { $retainKeys: ['labels'] } },
    { metadata: { '$setElementOrder/finalizers': ['a'] } },
    { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
    { spec: { $patch: 'delete' } },
    { spec: { containers: [{ $patch: 'delete' }] } },
    { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 1 }] } } } },
  );
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(mutatedObject(sample), fc.subarray(Object.keys(sample)))
        .map(([obj, dropped]) => Object.fromEntries(Object.entries(obj).filter(([k]) => !dropped.includes(k)))),
    },
    { weight: 1, arbitrary: directives },
    { weight: 1, arbitrary: badValue },
  );
}

const brokenYaml = fc.constantFrom(
  'a: [1, 2',
  'a: {b: c',
  '\t- tab',
  'a: &x [*x]',
  'a: &a ["lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  '--- a\n--- b',
  'kind: !!binary AAAA',
  'metadata: !!js/function "x"',
  '? [a]\n: b',
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x]',
  '%YAML 9.9\n---\na: 1',
  '{"a": 1, "a": 2}',
);

/** A body: JSON or YAML of a broken object, a patch, broken text, or nothing. */
type BodyKind = 'object' | 'yaml' | 'json-patch' | 'merge-patch' | 'apply' | 'broken-json' | 'broken-yaml' | 'junk';

interface GeneratedBody {
  kind: BodyKind;
  text: string;
}

function body(sample: KubeObject): fc.Arbitrary<GeneratedBody> {
  const text = (kind: BodyKind, arb: fc.Arbitrary<string>) => arb.map((t) => ({ kind, text: t }));
  return fc.oneof(
    { weight: 6, arbitrary: text('object', mutatedObject(sample).map(toJsonText)) },
    {
      weight: 2,
      arbitrary: text(
        'yaml',
        mutatedObject(sample).map((o) => yamlText(o)),
      ),
    },
    { weight: 3, arbitrary: text('json-patch', jsonPatch(sample).map(toJsonText)) },
    { weight: 3, arbitrary: text('merge-patch', mergePatch(sample).map(toJsonText)) },
    {
      weight: 2,
      arbitrary: text(
        'apply',
        mutatedObject(sample).map((o) => yamlText(o)),
      ),
    },
    {
      weight: 2,
      arbitrary: text(
        'broken-json',
        fc
          .tuple(
            mutatedObject(sample).map(toJsonText),
            fc.nat(),
            fc.constantFrom('', '}', ',', '"', '\u0000', 'NaN', '1e400', '\\u'),
          )
          .map(([t, cut, insert]) => {
            const at = cut % Math.max(1, t.length);
            return t.slice(0, at) + insert + t.slice(at + (insert === '' ? 1 : 0));
          }),
      ),
    },
    { weight: 1, arbitrary: text('broken-yaml', brokenYaml) },
    {
      weight: 1,
      arbitrary: text('junk', fc.oneof(oddString, fc.constantFrom('', 'null', '[]', '"x"', '1', 'true', '\u0000'))),
    },
  );
}

/** YAML text of `obj`; deep-nesting marks become JSON flow text, which is YAML too. */
function yamlText(obj: Json): string {
  const doc = stringifyYaml(obj, { aliasDuplicateObjects: false, lineWidth: 0 });
  return doc.replace(/"?\\0deep:(\d+):([ao])"?/g, (_m, depth: string, shape: string) => deepText(Number(depth), shape));
}

const contentTypeOf: Record<BodyKind, readonly string[]> = {
  object: ['application/json'],
  yaml: ['application/yaml'],
  'json-patch': ['application/json-patch+json'],
  'merge-patch': ['application/merge-patch+json', 'application/strategic-merge-patch+json'],
  apply: ['application/apply-patch+yaml'],
  'broken-json': ['application/json', 'application/merge-patch+json', 'application/json-patch+json'],
  'broken-yaml': ['application/yaml', 'application/apply-patch+yaml'],
  junk: ['application/json', 'text/plain'],
};

const anyContentType = fc.constantFrom(
  'application/json',
  'application/yaml',
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'application/vnd.kubernetes.protobuf',
  'application/cbor',
  'application/json; charset=utf-16',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/x-www-form-urlencoded',
  ';;;',
  'application/json-patch+json; x=y',
);

const acceptHeader = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json;as=Table;v=v1;g=meta.k8s.io',
      'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
      'application/json;as=Bogus;v=v9;g=x',
      'application/yaml',
      'application/vnd.kubernetes.protobuf',
      '*/*',
      'text/html',
    ),
  },
);

/** Bad and good values of every query parameter the API knows. */
const queryValues = {
  limit: fc.constantFrom('-1', '0', '1', 'abc', '1e20', '99999999999999999999', '2.5', ''),
  continue: fc.oneof(
    oddString,
    fc.constantFrom('eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJ4In0', 'e30', '!!!', 'eyJydiI6LTF9'),
  ),
  resourceVersion: fc.constantFrom('0', '1', '-1', 'abc', '99999999999999999999', '', '1.5', ' 1'),
  resourceVersionMatch: fc.constantFrom('Exact', 'NotOlderThan', 'bogus', ''),
  timeoutSeconds: fc.constantFrom('-5', 'x', '1e9', '0'),
  dryRun: fc.constantFrom('All', 'All', 'bogus', '', 'All,All'),
  fieldManager: fc.oneof(oddString, fc.constantFrom('fuzz', '')),
  fieldValidation: fc.constantFrom('Strict', 'Warn', 'Ignore', 'bogus', ''),
  propagationPolicy: fc.constantFrom('Foreground', 'Background', 'Orphan', 'bogus', ''),
  gracePeriodSeconds: fc.constantFrom('-1', 'x', '0', '99999999999999999999'),
  force: fc.constantFrom('true', 'false', 'x'),
  labelSelector: fc.oneof(
    oddString,
    fc.constantFrom(
      'a in (',
      'a in ()',
      '!',
      'a=b,,c',
      'a!=',
      '=b',
      'a==b==c',
      'a notin (b',
      'a in (b,c)',
      'a',
      '!a',
      'a>1',
      'a<x',
      'x'.repeat(70) + '=y',
    ),
  ),
  fieldSelector: fc.oneof(
    oddString,
    fc.constantFrom(
      'metadata.name=x',
      'metadata.namespace!=y',
      'spec.bogus=1',
      'a==b==c',
      '=',
      'metadata.name',
      'status.phase=Running,',
    ),
  ),
  pretty: fc.constantFrom('true', 'x'),
  allowWatchBookmarks: fc.constantFrom('true', 'x'),
  sendInitialEvents: fc.constantFrom('true', 'x'),
  orphanDependents: fc.constantFrom('true', 'x'),
};

/** Up to three query parameters, most requests none or one: a bad one is refused before the body is read. */
const queryParams = fc
  .array(fc.oneof(...Object.entries(queryValues).map(([key, value]) => value.map((v): [string, string] => [key, v]))), {
    maxLength: 3,
  })
  .map((pairs) => Object.fromEntries(pairs));

/** Percent-encodes `s` (lone surrogates as their raw, invalid UTF-8 bytes); `raw` keeps ASCII path characters. */
export function escapeSegment(s: string, raw = false): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const ch = s[i]!;
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += encodeURIComponent(s.slice(i, i + 2));
        i++;
        continue;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else if (raw && code > 0x20 && code < 0x7f && ch !== '?' && ch !== '#') out += ch;
    else out += encodeURIComponent(ch);
  }
  return out;
}

function queryString(params: Record<string, string>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${escapeSegment(v)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

const pathTrick = fc.constantFrom(
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '%00',
  '',
  'x%2F..%2Fy',
  '%',
  '%zz',
  '%C0%AE',
  'a'.repeat(4000),
);

/** How a request's path is built from a target. */
type PathShape = 'collection' | 'object' | 'subresource' | 'all-namespaces' | 'trick' | 'unknown-api';

function pathOf(
  target: FuzzTarget,
  shape: PathShape,
  name: string,
  rawName: boolean,
  subresource: string,
  trick: { at: number; segment: string; doubleSlash: boolean },
): string {
  const ns = target.namespace ? ['namespaces', target.namespace] : [];
  const segments = target.groupVersionPath.split('/');
  const escaped = escapeSegment(name, rawName);
  switch (shape) {
    case 'collection':
      return `/${[...segments, ...ns, target.plural].join('/')}`;
    case 'object':
      return `/${[...segments, ...ns, target.plural, escaped].join('/')}`;
    case 'subresource':
      return `/${[...segments, ...ns, target.plural, escaped, escapeSegment(subresource, rawName)].join('/')}`;
    case 'all-namespaces':
      return `/${[...segments, target.plural].join('/')}`;
    case 'unknown-api':
      return `/${['apis', 'bogus.example.com', 'v9', ...ns, target.plural, escaped].join('/')}`;
    case 'trick': {
      const parts = [...segments, ...ns, target.plural, escaped];
      parts.splice(trick.at % (parts.length + 1), 0, trick.segment);
      return `/${parts.join(trick.doubleSlash ? '//' : '/')}`;
    }
  }
}

const methodsFor: Record<PathShape, readonly string[]> = {
  collection: ['GET', 'POST', 'DELETE', 'PUT', 'PATCH'],
  object: ['GET', 'PUT', 'PATCH', 'DELETE', 'POST'],
  subresource: ['GET', 'PUT', 'PATCH', 'POST', 'DELETE'],
  'all-namespaces': ['GET', 'POST', 'DELETE'],
  trick: ['GET', 'PUT', 'PATCH', 'DELETE', 'POST'],
  'unknown-api': ['GET', 'PUT', 'POST'],
};

/** Requests against `targets`: every part chosen by fast-check, so each shrinks. */
export function fuzzRequests(targets: readonly FuzzTarget[]): fc.Arbitrary<GeneratedRequest> {
  return fc.nat({ max: targets.length - 1 }).chain((index) => {
    const target = targets[index]!;
    const sampleName = target.sample.metadata.name ?? '';
    return fc
      .record({
        shape: fc.constantFrom<PathShape>(
          'object',
          'object',
          'object',
          'collection',
          'collection',
          'subresource',
          'all-namespaces',
          'trick',
          'unknown-api',
        ),
        methodIndex: fc.nat({ max: 4 }),
        name: fc.oneof({ weight: 6, arbitrary: fc.constant(sampleName) }, { weight: 2, arbitrary: oddString }),
        rawName: fc.boolean(),
        subresource: fc.constantFrom(...target.subresources, 'status', 'bogus', '', '..'),
        trick: fc.record({ at: fc.nat(), segment: pathTrick, doubleSlash: fc.boolean() }),
        query: queryParams,
        body: fc.option(body(target.sample), { freq: 8 }),
        contentType: fc.option(anyContentType, { freq: 4 }),
        accept: acceptHeader,
        optionsMethod: fc.constantFrom('', '', '', '', '', '', '', '', '', 'OPTIONS'),
      })
      .map((r): GeneratedRequest => {
        const methods = methodsFor[r.shape];
        const path = pathOf(target, r.shape, r.name, r.rawName, r.subresource, r.trick);
        // Empty segments do not count (`projects//` is the collection, as in Kubernetes).
        const wholeCollection = path.split('/').filter(Boolean).at(-1) === target.plural;
        const chosen = r.optionsMethod || methods[r.methodIndex % methods.length]!;
        const method = chosen === 'DELETE' && wholeCollection && target.keepCollection ? 'GET' : chosen;
        const headers: Record<string, string> = { Accept: r.accept, 'User-Agent': 'transplant-fuzz' };
        const request: GeneratedRequest = {
          method,
          path: path + queryString(r.query),
          headers,
          target: index,
        };
        if (r.body && method !== 'GET') {
          request.body = r.body.text;
          const matching = contentTypeOf[r.body.kind];
          headers['Content-Type'] = r.contentType ?? matching[r.methodIndex % matching.length]!;
        }
        return request;
      });
  });
}
