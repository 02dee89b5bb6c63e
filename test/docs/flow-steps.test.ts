/**
 * docs/flow-steps.md stays true to the flows: each of its tables lists exactly the steps of its
 * flow, and for every step the component method the flow really calls (in each variant: Create,
 * Reconcile and Restore share a table) is named in its "calls" cell.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Flow } from '../../src/flow/flow.js';
import type { ShootComponents } from '../../src/seed/gardenlet/components/index.js';
import {
  deleteFlow,
  liveMigrateFlow,
  liveMigrationAbortFlow,
  liveMigrationDestinationFlow,
  migrateFlow,
  reconcileFlow,
} from '../../src/seed/gardenlet/shoot-flows.js';
import { recordingComponents } from '../helpers/recording-components.js';

const doc = readFileSync(new URL('../../../docs/flow-steps.md', import.meta.url), 'utf8');

/** The rows of the table under `## heading`: step name → "calls" cell. */
function table(heading: string): Map<string, string> {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading));
  assert.ok(section, `docs/flow-steps.md has a section "${heading}"`);
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| step ') && !line.startsWith('|---'));
  return new Map(
    rows
      .map((row) => row.split(' | ').map((cell) => cell.replace(/^\| /, '').trim()))
      .map(([step, calls]) => [step!, calls!]),
  );
}

/** Each step of `build`'s flow with the component method it called (every step made one call). */
async function callsPerStep(build: (c: ShootComponents) => Flow): Promise<Map<string, string>> {
  const { components, calls } = recordingComponents();
  const flow = build(components);
  const perStep = new Map<string, string>();
  await flow.run({
    concurrency: 1,
    log: (msg, fields) => {
      if (msg === 'Succeeded' && typeof fields.task === 'string') perStep.set(fields.task, calls.at(-1)!);
    },
  });
  return perStep;
}

const full = { allowBackup: true, skipReadiness: false, copyRequired: true };
const sections: [string, ((c: ShootComponents) => Flow)[]][] = [
  [
    'Create, Reconcile and Restore',
    [
      (c) => reconcileFlow(c, { operation: 'Reconcile', ...full }),
      (c) => reconcileFlow(c, { operation: 'Restore', ...full }),
      (c) => reconcileFlow(c, { operation: 'Reconcile', ...full, hibernated: true }),
      (c) => reconcileFlow(c, { operation: 'Restore', ...full, hibernated: true }),
    ],
  ],
  [
    'Migrate',
    [
      (c) => migrateFlow(c, { etcdSnapshotRequired: true }),
      (c) => migrateFlow(c, { etcdSnapshotRequired: true, wakeupRequired: true }),
    ],
  ],
  [
    'Live Migrate (source)',
    [(c) => liveMigrateFlow(c, { endpointReleased: false }), (c) => liveMigrateFlow(c, { endpointReleased: true })],
  ],
  ['Live migration (destination)', [(c) => liveMigrationDestinationFlow(c)]],
  ['Live migration abort', [(c) => liveMigrationAbortFlow(c)]],
  ['Delete', [(c) => deleteFlow(c)]],
];

describe('docs/flow-steps.md', () => {
  for (const [heading, variants] of sections) {
    it(`"${heading}" lists every step of its flow with the method it calls`, async () => {
      const rows = table(heading);
      const declared = variants[0]!(recordingComponents().components).taskIDs;
      assert.deepEqual([...rows.keys()].sort(), [...declared].sort());
      for (const build of variants) {
        for (const [step, call] of await callsPerStep(build)) {
          assert.ok(rows.get(step)?.includes(`\`${call}\``), `"${step}" calls ${call}; the doc says ${rows.get(step)}`);
        }
      }
    });
  }
});
