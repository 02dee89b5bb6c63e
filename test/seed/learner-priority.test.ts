/**
 * A learner's etcd runs at a lower CPU priority until it is promoted (src/seed/druid/learner-priority.ts),
 * on a real process standing in for the member.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { applyMemberPriority, joiningMemberLaunch, LEARNER_NICENESS } from '../../src/seed/druid/learner-priority.js';

const log = pino({ level: 'silent' });
const root = process.getuid?.() === 0;

describe('the CPU priority of an etcd member', () => {
  const member = spawn('sleep', ['60'], { stdio: 'ignore' });
  after(() => member.kill('SIGKILL'));

  it('is lowered while it is a learner, and only then', {
    skip: !root && 'needs root (raising a priority back)',
  }, () => {
    applyMemberPriority(member.pid!, true, log);
    assert.equal(getPriority(member.pid!), LEARNER_NICENESS);
    applyMemberPriority(member.pid!, true, log);
    assert.equal(getPriority(member.pid!), LEARNER_NICENESS, 'applied again, unchanged');
  });

  it("is the seed's own once the member votes", { skip: !root && 'needs root (raising a priority back)' }, () => {
    applyMemberPriority(member.pid!, false, log);
    assert.equal(getPriority(member.pid!), getPriority(0));
  });

  it('is left alone by a seed that could not raise it back', () => {
    applyMemberPriority(member.pid!, true, log, false);
    assert.equal(getPriority(member.pid!), getPriority(0));
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
