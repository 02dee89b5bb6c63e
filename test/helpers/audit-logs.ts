/**
 * Reading a landscape's audit logs in tests: every audit log file under a directory, their
 * events, and the strings a secret holds (to grep the logs for them).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent } from '../../src/apiserver/audit/event.js';

/** Every `*.log` file in an `audit` directory (or below one) under `dir`. */
export async function auditLogsUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.log'))
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => path.slice(dir.length).split('/').includes('audit'));
}

export async function readAuditEvents(path: string): Promise<AuditEvent[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditEvent);
}

/**
 * Needles for a grep from the secret strings in `value` (every string leaf of at least 24
 * characters): a 40-character piece of each, and of what it decodes to when it is base64 (a
 * PEM key's body), taken from one line so that JSON's escaping of newlines cannot hide it.
 */
export function secretNeedles(value: unknown): string[] {
  const needles = new Set<string>();
  const add = (text: string) => {
    const line = text.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');
    if (line.length >= 24)
      needles.add(line.slice(Math.floor((line.length - Math.min(40, line.length)) / 2)).slice(0, 40));
  };
  const visit = (v: unknown): void => {
    if (typeof v === 'string' && v.length >= 24) {
      add(v);
      if (/^[A-Za-z0-9+/=\s]+$/.test(v)) {
        const decoded = Buffer.from(v, 'base64').toString('utf8');
        if (/^[\x20-\x7e\n\r\t]+$/.test(decoded)) add(decoded);
      }
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v && typeof v === 'object') {
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return [...needles];
}
