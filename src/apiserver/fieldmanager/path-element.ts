/**
 * One step of a field path, spelled as fieldsV1 spells it: `f:<name>` (a field), `k:{"name":"a"}`
 * (the item of a list map with those key values, fields sorted by name), `v:"x"` (the item of a
 * set with that value), `i:3` (a list index, only ever read, never produced here). Also the order
 * structured-merge-diff sorts them in (fields, then keys, then values, then indexes) and how it
 * prints them in conflict messages (`.spec`, `[name="a"]`, `[="x"]`, `[3]`). Kept apart from the
 * set operations because the key and value encodings follow Go's JSON, not JavaScript's.
 */

export function fieldElement(name: string): string {
  return `f:${name}`;
}

/** The element of a list-map item from its key values (fields in name order). */
export function keyElement(key: ReadonlyMap<string, unknown>): string {
  const names = [...key.keys()].sort(compareStrings);
  return `k:{${names.map((name) => `${goJson(name)}:${goJson(key.get(name))}`).join(',')}}`;
}

/** The element of a set item. */
export function valueElement(value: unknown): string {
  return `v:${goJson(value)}`;
}

/**
 * JSON as Go's encoding/json writes it: like JSON.stringify, but `<`, `>`, `&`, U+2028 and U+2029
 * escaped, so an element written here equals the one a Kubernetes API server writes.
 */
export function goJson(value: unknown): string {
  const text = JSON.stringify(value === undefined ? null : value);
  return /[<>&\u2028\u2029]/.test(text)
    ? text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : text;
}

const typeRank: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** structured-merge-diff's order of path elements. */
export function comparePathElements(a: string, b: string): number {
  const ta = typeRank[a[0]!] ?? 4;
  const tb = typeRank[b[0]!] ?? 4;
  if (ta !== tb) return ta - tb;
  const ra = a.slice(2);
  const rb = b.slice(2);
  switch (a[0]) {
    case 'f':
      return compareStrings(ra, rb);
    case 'k':
      return compareKeys(parseJson(ra), parseJson(rb));
    case 'v':
      return compareValues(parseJson(ra), parseJson(rb));
    case 'i':
      return Number(ra) - Number(rb);
    default:
      return compareStrings(a, b);
  }
}

/** An element as structured-merge-diff prints it in a path. */
export function pathElementString(element: string): string {
  const rest = element.slice(2);
  switch (element[0]) {
    case 'f':
      return `.${rest}`;
    case 'k': {
      const key = parseJson(rest);
      if (typeof key !== 'object' || key === null) return `[${rest}]`;
      return `[${Object.entries(key)
        .map(([name, value]) => `${name}=${valueString(value)}`)
        .join(',')}]`;
    }
    case 'v':
      return `[=${valueString(parseJson(rest))}]`;
    case 'i':
      return `[${rest}]`;
    default:
      return element;
  }
}

function valueString(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : goJson(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Key field lists: the shorter first, then field by field (name, then value). */
function compareKeys(a: unknown, b: unknown): number {
  const ea = typeof a === 'object' && a !== null ? Object.entries(a) : [];
  const eb = typeof b === 'object' && b !== null ? Object.entries(b) : [];
  if (ea.length !== eb.length) return ea.length - eb.length;
  for (let i = 0; i < ea.length; i++) {
    const [na, va] = ea[i]!;
    const [nb, vb] = eb[i]!;
    if (na !== nb) return compareStrings(na, nb);
    const byValue = compareValues(va, vb);
    if (byValue !== 0) return byValue;
  }
  return 0;
}

function valueRank(value: unknown): number {
  if (typeof value === 'number') return 0;
  if (typeof value === 'string') return 1;
  if (typeof value === 'boolean') return 2;
  if (Array.isArray(value)) return 3;
  if (value !== null && typeof value === 'object') return 4;
  return 5;
}

/** structured-merge-diff's total order of values: numbers, strings, booleans, lists, maps, null. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = valueRank(a);
  const rb = valueRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number') return a - (b as number);
  if (typeof a === 'string') return compareStrings(a, b as string);
  if (typeof a === 'boolean') return Number(a) - Number(b);
  return compareStrings(goJson(a), goJson(b));
}
