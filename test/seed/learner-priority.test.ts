/**
 * A learner's etcd runs at a lower CPU priority until it is promoted (src/seed/druid/learner-priority.ts),
 * on a real process standing in for the member: a node process, which runs several threads as etcd
 * does, since Linux keeps a niceness per thread.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { applyMemberPriority, joiningMemberLaunch, LEARNER_NICENESS } from '../../src/seed/druid/learner-priority.js';

const log = pino({ level: 'silent' });
const root = process.getuid?.() === 0;

/** A process standing in for an etcd member: idle, with the threads a node process starts. */
const MEMBER = [process.execPath, '-e', 'setTimeout(() => {}, 60_000)'];

/** The niceness of each thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat), as a set. */
const threadNiceness = (pid: number): Set<number> =>
  new Set(
    readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    }),
  );

/** Waits until the node process `pid` runs its threads (it starts them as it boots). */
const threaded = async (pid: number): Promise<void> => {
  for (let i = 0; i < 50 && readdirSync(`/proc/${pid}/task`).length < 4; i += 1)
    await new Promise((resolve) => setTimeout(resolve, 20));
};

describe('the CPU priority of an etcd member', () => {
  const member = spawn(MEMBER[0]!, MEMBER.slice(1), { stdio: 'ignore' });
  after(() => member.kill('SIGKILL'));

  it('is lowered while it is a learner, and only then: on every thread', {
    skip: !root && 'needs root (raising a priority back)',
  }, async () => {
    await threaded(member.pid!);
    applyMemberPriority(member.pid!, true, log);
    assert.deepEqual(threadNiceness(member.pid!), new Set([LEARNER_NICENESS]));
    applyMemberPriority(member.pid!, true, log);
    assert.deepEqual(threadNiceness(member.pid!), new Set([LEARNER_NICENESS]), 'applied again, unchanged');
  });

  it("is the seed's own once the member votes: on every thread", {
    skip: !root && 'needs root (raising a priority back)',
  }, () => {
    applyMemberPriority(member.pid!, false, log);
    assert.deepEqual(threadNiceness(member.pid!), new Set([getPriority(0)]));
  });

  it("a member launched as a learner gets the seed's priority on every thread once promoted", {
    skip: !root && 'needs root (raising a priority back)',
  }, async () => {
    const argv = joiningMemberLaunch(true).wrap!(MEMBER);
    const joined = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    try {
      await once(joined, 'spawn');
      await threaded(joined.pid!);
      assert.deepEqual(threadNiceness(joined.pid!), new Set([LEARNER_NICENESS]), 'every thread starts lowered');
      applyMemberPriority(joined.pid!, false, log);
      // setpriority on the process ID alone leaves every thread but the first at the learner's.
      assert.deepEqual(threadNiceness(joined.pid!), new Set([getPriority(0)]));
    } finally {
      joined.kill('SIGKILL');
    }
  });

  it('is left alone by a seed that could not raise it back', () => {
    applyMemberPriority(member.pid!, true, log, false);
    assert.deepEqual(threadNiceness(member.pid!), new Set([getPriority(0)]));
  });

  it('is lowered from the first instruction of a member that joins', { skip: !root && 'needs root' }, async () => {
    assert.deepEqual(joiningMemberLaunch(false), {}, 'a member that starts a cluster is launched as it is');
    const argv = joiningMemberLaunch(true).wrap!(['sleep', '30']);
    const joining = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    try {
      await once(joining, 'spawn');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(
        readFileSync(`/proc/${joining.pid}/cmdline`, 'utf8').split('\0')[0],
        'sleep',
        'nice execs the member',
      );
      assert.equal(getPriority(joining.pid!), LEARNER_NICENESS);
    } finally {
      joining.kill('SIGKILL');
    }
  });

  it('is no error for a process that is gone, or none started yet', async () => {
    const gone = spawn('true');
    await once(gone, 'exit');
    assert.doesNotThrow(() => applyMemberPriority(gone.pid!, true, log));
    assert.doesNotThrow(() => applyMemberPriority(null, true, log));
  });
});
