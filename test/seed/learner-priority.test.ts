/**
 * A learner's etcd runs at a lower CPU priority until it is promoted (src/seed/druid/learner-priority.ts),
 * on a real process standing in for the member.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { getPriority } from 'node:os';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { applyMemberPriority, LEARNER_NICENESS } from '../../src/seed/druid/learner-priority.js';

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

  it('is left alone by a seed that could not raise it back', { skip: root && 'runs as root' }, () => {
    applyMemberPriority(member.pid!, true, log);
    assert.equal(getPriority(member.pid!), getPriority(0));
  });

  it('is no error for a process that is gone, or none started yet', async () => {
    const gone = spawn('true');
    await once(gone, 'exit');
    assert.doesNotThrow(() => applyMemberPriority(gone.pid!, true, log));
    assert.doesNotThrow(() => applyMemberPriority(null, true, log));
  });
});
