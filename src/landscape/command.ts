/**
 * Running the host tools a landscape is built with (`ip`, `nft`) and telling "already there" and
 * "already gone" apart from real failures, so every step can be run again.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** A host tool that failed: the command line and what it wrote to stderr. */
export class HostCommandError extends Error {
  readonly stderr: string;
  constructor(argv: readonly string[], stderr: string, cause?: unknown) {
    super(`${argv.join(' ')}: ${stderr.trim() || String(cause)}`, { cause });
    this.name = 'HostCommandError';
    this.stderr = stderr;
  }
}

/** Runs `argv` (no shell), with `input` on stdin; rejects with a HostCommandError on a non-zero exit. */
export function runCommand(argv: readonly string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0]!, argv.slice(1), { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new HostCommandError(argv, stderr, err));
      else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs `argv`; an error whose stderr matches `ignore` (e.g. "does not exist" on a delete) is success. */
export async function runIgnoring(argv: readonly string[], ignore: RegExp, input?: string): Promise<void> {
  try {
    await runCommand(argv, input);
  } catch (err) {
    if (err instanceof HostCommandError && ignore.test(err.stderr)) return;
    throw err;
  }
}

/** What `ip` and `nft` say when the thing to delete is not there. */
export const GONE = /Cannot find device|does not exist|No such file or directory|not found|No such process/i;
