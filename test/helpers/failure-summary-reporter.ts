// A node:test reporter that prints, once every file has ended, which tests failed and why.
// CI keeps only the tail of make test's output, and the TAP lines of a failed test are
// hundreds of lines above it; this summary is the tail (Makefile: test).
import { relative } from 'node:path';

interface TestLocation {
  name: string;
  nesting: number;
  file?: string;
  line?: number;
}

interface FailEvent extends TestLocation {
  details: { error?: unknown; duration_ms?: number };
}

type ReporterEvent =
  | { type: 'test:start'; data: TestLocation }
  | { type: 'test:fail'; data: FailEvent }
  | { type: string; data: unknown };

interface Failure {
  where: string;
  title: string;
  reason: string;
}

// A parent fails because a child failed, and node:test reports that too; only the child says why.
const CONSEQUENTIAL_FAILURES = new Set(['subtestsFailed', 'cancelledByParent']);

const REASON_LINES = 6;

export default async function* failureSummary(source: AsyncIterable<ReporterEvent>): AsyncGenerator<string> {
  // The enclosing suites' names, per file and nesting level, to print a failure's full title.
  const titles = new Map<string, string[]>();
  const failures: Failure[] = [];
  for await (const event of source) {
    if (event.type === 'test:start') {
      const start = event.data as TestLocation;
      const path = titles.get(start.file ?? '') ?? [];
      path.length = start.nesting;
      path.push(start.name);
      titles.set(start.file ?? '', path);
    } else if (event.type === 'test:fail') {
      const failed = event.data as FailEvent;
      const error = failed.details.error as { failureType?: string } | undefined;
      if (error?.failureType !== undefined && CONSEQUENTIAL_FAILURES.has(error.failureType)) {
        continue;
      }
      const path = (titles.get(failed.file ?? '') ?? []).slice(0, failed.nesting);
      failures.push({
        where: `${failed.file === undefined ? '?' : relative(process.cwd(), failed.file)}${failed.line === undefined ? '' : `:${failed.line}`}`,
        title: [...path, failed.name].join(' › '),
        reason: reasonOf(failed.details.error),
      });
    }
  }
  if (failures.length === 0) return;
  yield `\n# ${failures.length} failed test${failures.length === 1 ? '' : 's'}:\n`;
  for (const failure of failures) {
    yield `# ✖ ${failure.where}\n#   ${failure.title}\n`;
    for (const line of failure.reason.split('\n').slice(0, REASON_LINES)) yield `#     ${line}\n`;
  }
}

function reasonOf(error: unknown): string {
  // node:test wraps what the test threw; the cause is the assertion or the error itself.
  const thrown = (error as { cause?: unknown } | undefined)?.cause ?? error;
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return String(thrown);
}
