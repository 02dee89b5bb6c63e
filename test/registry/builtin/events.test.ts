/** events.k8s.io/v1 Events are core Events under other field names: one store, two views. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ctx, type Doc, storeOf } from '../../helpers/builtin-store.js';

describe('events.k8s.io/v1 Event', () => {
  it('is stored as a core Event and listed by both APIs', async () => {
    const events = storeOf('events.k8s.io', 'events');
    const core = storeOf('', 'events');
    await events.create(
      'ev',
      {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'e1' },
        eventTime: '2024-01-01T00:00:00.000000Z',
        reportingController: 'tester',
        reportingInstance: 'tester-1',
        action: 'Testing',
        reason: 'Tested',
        note: 'hello',
        type: 'Normal',
        regarding: { kind: 'Pod', name: 'p', namespace: 'ev' },
      },
      ctx,
    );
    const asCore = (await core.get('ev', 'e1')) as Doc;
    assert.equal(asCore.apiVersion, 'v1');
    assert.equal(asCore.message, 'hello');
    assert.deepEqual(asCore.involvedObject, { kind: 'Pod', name: 'p', namespace: 'ev' });
    assert.equal(asCore.reportingComponent, 'tester');
    const listed = (await events.list('ev', {})).items as Doc[];
    assert.deepEqual(
      listed.map((e) => [e.apiVersion, e.note, e.regarding.name]),
      [['events.k8s.io/v1', 'hello', 'p']],
    );
  });
});
