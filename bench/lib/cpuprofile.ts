/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`) of the garden: where the time went, per
 * benchmark phase. Sample timestamps are CLOCK_MONOTONIC microseconds, the same clock as
 * `process.hrtime` in the benchmark process, so the benchmark's phase windows select samples.
 *
 * Also a command: `node dist/bench/lib/cpuprofile.js FILE.cpuprofile [top]` prints the whole-run summary.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A time window in monotonic microseconds. */
export interface Window {
  name: string;
  startUs: number;
  endUs: number;
}

export interface FunctionTime {
  fn: string;
  ms: number;
  /** Share of the window's busy (non-idle) time, in percent. */
  pct: number;
}

export interface WindowSummary {
  name: string;
  wallMs: number;
  busyMs: number;
  gcMs: number;
  self: FunctionTime[];
  /** Inclusive time of the project's own functions (dist/src). */
  inclusive: FunctionTime[];
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

function frameName(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  let url = frame.url.replace(/^file:\/\//, '');
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) url = url.slice(dist + 6);
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) url = url.slice(modules + 14);
  return `${name} ${url}:${frame.lineNumber + 1}`;
}

export function summarizeProfile(profile: CpuProfile, windows: readonly Window[], top = 15): WindowSummary[] {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // Sample i lasts until sample i+1.
  const times: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) {
    t += delta;
    times.push(t);
  }
  return windows.map((w) => {
    const self = new Map<string, number>();
    const inclusive = new Map<string, number>();
    let busy = 0;
    let gc = 0;
    let wall = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      const at = times[i]!;
      if (at < w.startUs || at >= w.endUs) continue;
      const duration = (i + 1 < times.length ? times[i + 1]! : profile.endTime) - at;
      wall += duration;
      const node = byId.get(profile.samples[i]!)!;
      const name = frameName(node.callFrame);
      if (node.callFrame.functionName === '(idle)') continue;
      busy += duration;
      if (node.callFrame.functionName === '(garbage collector)') gc += duration;
      self.set(name, (self.get(name) ?? 0) + duration);
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const frame = byId.get(id)!.callFrame;
        if (!frame.url.includes('/dist/src/')) continue;
        const fn = frameName(frame);
        if (seen.has(fn)) continue;
        seen.add(fn);
        inclusive.set(fn, (inclusive.get(fn) ?? 0) + duration);
      }
    }
    const rank = (m: Map<string, number>): FunctionTime[] =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([fn, us]) => ({ fn, ms: us / 1000, pct: busy > 0 ? (100 * us) / busy : 0 }));
    return {
      name: w.name,
      wallMs: wall / 1000,
      busyMs: busy / 1000,
      gcMs: gc / 1000,
      self: rank(self),
      inclusive: rank(inclusive),
    };
  });
}

export function formatProfileSummary(summaries: readonly WindowSummary[]): string {
  const lines: string[] = [];
  for (const s of summaries) {
    lines.push('');
    lines.push(
      `== ${s.name}: ${s.wallMs.toFixed(0)} ms sampled, ${s.busyMs.toFixed(0)} ms busy (GC ${s.gcMs.toFixed(0)} ms) in the garden`,
    );
    lines.push('  self time:');
    for (const f of s.self)
      lines.push(`    ${f.ms.toFixed(0).padStart(7)} ms ${f.pct.toFixed(1).padStart(5)}%  ${f.fn}`);
    lines.push('  inclusive time, project functions:');
    for (const f of s.inclusive) {
      lines.push(`    ${f.ms.toFixed(0).padStart(7)} ms ${f.pct.toFixed(1).padStart(5)}%  ${f.fn}`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/bench/lib/cpuprofile.js FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const profile = readProfile(file);
  const whole = { name: 'whole profile', startUs: profile.startTime, endUs: profile.endTime + 1 };
  process.stdout.write(`${formatProfileSummary(summarizeProfile(profile, [whole], Number(top ?? 25)))}\n`);
}
