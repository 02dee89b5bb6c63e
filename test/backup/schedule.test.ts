import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronSchedule, ScheduleSyntaxError } from '../../src/backup/snapshotter/schedule.js';

const at = (iso: string) => new Date(iso);
const next = (expression: string, after: string) => CronSchedule.parse(expression).next(at(after)).toISOString();
const previous = (expression: string, atOrBefore: string) =>
  CronSchedule.parse(expression).previous(at(atOrBefore)).toISOString();

describe('cron schedules', () => {
  it("fires etcd-druid's default hourly schedule on every full hour", () => {
    assert.equal(next('0 */1 * * *', '2024-03-10T10:00:00Z'), '2024-03-10T11:00:00.000Z');
    assert.equal(next('0 */1 * * *', '2024-03-10T10:59:59.999Z'), '2024-03-10T11:00:00.000Z');
    assert.equal(next('0 */1 * * *', '2024-12-31T23:30:00Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(previous('0 */1 * * *', '2024-03-10T10:00:00Z'), '2024-03-10T10:00:00.000Z');
    assert.equal(previous('0 */1 * * *', '2024-03-10T10:59:30Z'), '2024-03-10T10:00:00.000Z');
  });

  it('takes lists, ranges and steps', () => {
    assert.equal(next('*/15 * * * *', '2024-03-10T10:07:00Z'), '2024-03-10T10:15:00.000Z');
    assert.equal(next('5,35 8-9 * * *', '2024-03-10T09:36:00Z'), '2024-03-11T08:05:00.000Z');
    assert.equal(next('10-20/5 * * * *', '2024-03-10T09:16:00Z'), '2024-03-10T09:20:00.000Z');
    assert.equal(next('50/5 * * * *', '2024-03-10T09:51:00Z'), '2024-03-10T09:55:00.000Z');
    assert.equal(previous('*/15 * * * *', '2024-03-10T10:14:59Z'), '2024-03-10T10:00:00.000Z');
  });

  it('takes month and weekday names, and 7 as Sunday', () => {
    // 2024-03-10 is a Sunday.
    assert.equal(next('0 0 * * SUN', '2024-03-04T00:00:00Z'), '2024-03-10T00:00:00.000Z');
    assert.equal(next('0 0 * * 7', '2024-03-04T00:00:00Z'), '2024-03-10T00:00:00.000Z');
    assert.equal(next('0 0 * * mon-fri', '2024-03-08T12:00:00Z'), '2024-03-11T00:00:00.000Z');
    assert.equal(next('0 0 1 jun *', '2024-03-08T12:00:00Z'), '2024-06-01T00:00:00.000Z');
  });

  it('fires on either day field when both are restricted, on both when one is *', () => {
    // The 13th, or any Friday: 2024-03-08 is a Friday, the 13th comes after.
    assert.equal(next('0 0 13 * 5', '2024-03-01T00:00:00Z'), '2024-03-08T00:00:00.000Z');
    assert.equal(next('0 0 13 * 5', '2024-03-08T00:00:00Z'), '2024-03-13T00:00:00.000Z');
    assert.equal(next('0 0 13 * *', '2024-03-01T00:00:00Z'), '2024-03-13T00:00:00.000Z');
  });

  it('finds rare days: Feb 29 years ahead and back', () => {
    assert.equal(next('0 12 29 2 *', '2024-03-01T00:00:00Z'), '2028-02-29T12:00:00.000Z');
    assert.equal(previous('0 12 29 2 *', '2027-01-01T00:00:00Z'), '2024-02-29T12:00:00.000Z');
  });

  it('knows the descriptors', () => {
    assert.equal(next('@daily', '2024-03-10T10:00:00Z'), '2024-03-11T00:00:00.000Z');
    assert.equal(next('@hourly', '2024-03-10T10:00:00Z'), '2024-03-10T11:00:00.000Z');
    assert.equal(next('@weekly', '2024-03-10T10:00:00Z'), '2024-03-17T00:00:00.000Z');
  });

  it('refuses malformed schedules, naming the field', () => {
    for (const [expression, pattern] of [
      ['0 * * *', /5 fields/],
      ['60 * * * *', /minute "60"/],
      ['0 24 * * *', /hour "24"/],
      ['0 0 0 * *', /day of month "0"/],
      ['0 0 * 13 *', /month "13"/],
      ['0 0 * * 8', /day of week "8"/],
      ['*/0 * * * *', /minute "\*\/0" has a bad step/],
      ['5-1 * * * *', /ends before it starts/],
      ['a * * * *', /minute "a"/],
      ['0 0 30 2 *', /never fires/],
    ] as const) {
      assert.throws(
        () => CronSchedule.parse(expression),
        (err) => err instanceof ScheduleSyntaxError && pattern.test(err.message),
        expression,
      );
    }
  });
});
