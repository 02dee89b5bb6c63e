/**
 * Label and field selectors as kubectl sends them (`-l`, `--field-selector`).
 * Labels: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`.
 * Fields: `path=value`, `path==value`, `path!=value`, comma-separated.
 */
import { badRequest } from '../api/errors.js';

export type LabelRequirement =
  | { key: string; op: 'in'; values: string[] }
  | { key: string; op: 'notin'; values: string[] }
  | { key: string; op: 'exists' }
  | { key: string; op: 'doesnotexist' };

export type LabelSelector = readonly LabelRequirement[];

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export type FieldSelector = readonly FieldRequirement[];

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

const setTerm = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/;
const equalityTerm = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/;
const existsTerm = /^(!?)([^\s!=(),]+)$/;

export function parseLabelSelector(text: string | null): LabelSelector {
  if (!text) return [];
  return splitTerms(text).map((term): LabelRequirement => {
    let m = setTerm.exec(term);
    if (m) {
      const values = m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
      return { key: m[1]!, op: m[2] as 'in' | 'notin', values };
    }
    m = equalityTerm.exec(term);
    if (m) {
      return { key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] };
    }
    m = existsTerm.exec(term);
    if (m) return { key: m[2]!, op: m[1] ? 'doesnotexist' : 'exists' };
    throw badRequest(`unable to parse requirement: invalid label selector term "${term}"`);
  });
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  return selector.every((req) => requirementMatches(req, have));
}

function requirementMatches(req: LabelRequirement, have: Record<string, string>): boolean {
  const present = Object.hasOwn(have, req.key);
  switch (req.op) {
    case 'exists':
      return present;
    case 'doesnotexist':
      return !present;
    case 'in':
      return present && req.values.includes(have[req.key]!);
    case 'notin':
      return !present || !req.values.includes(have[req.key]!);
  }
}

export function parseFieldSelector(text: string | null, supported: readonly string[]): FieldSelector {
  const selector = parseFieldSelectorTerms(text);
  for (const { field } of selector) {
    if (!supported.includes(field)) {
      throw badRequest(`field label not supported: ${field} (supported: ${supported.join(', ')})`);
    }
  }
  return selector;
}

/** The requirements of a field selector whatever fields they name (an authorizer reads them as the store will). */
export function parseFieldSelectorTerms(text: string | null | undefined): FieldSelector {
  if (!text) return [];
  return splitTerms(text).map((term) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid field selector: "${term}"`);
    return { field: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]! } satisfies FieldRequirement;
  });
}

export function matchesFields(selector: FieldSelector, fields: Record<string, string | undefined>): boolean {
  return selector.every((req) => {
    const value = fields[req.field] ?? '';
    return req.op === '=' ? value === req.value : value !== req.value;
  });
}
