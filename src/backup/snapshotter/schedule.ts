/**
 * Standard 5-field cron schedules (`minute hour day-of-month month day-of-week`), as
 * etcd-backup-restore's `--schedule` takes them, evaluated in UTC (a pod's usual zone).
 *
 * Fields take `*`, numbers, ranges `a-b`, steps `*\/n`, `a-b/n` and `a/n` (from a to the field's
 * end), and comma-separated lists; months and days of week also take names (`JAN`, `MON`), and
 * day of week 7 is Sunday. As in cron, when both day of month and day of week are restricted, a
 * day matching either one fires. The descriptors `@yearly`, `@annually`, `@monthly`, `@weekly`,
 * `@daily`, `@midnight` and `@hourly` stand for their usual expressions.
 */

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  // 7 is folded onto 0 (Sunday) after parsing.
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MINUTE_MS = 60_000;
/**
 * Search steps before a schedule counts as never firing. Each step skips at least a minute and
 * usually a whole hour, day or month; 8 years of days (Feb 29 on a given weekday) fit easily.
 */
const MAX_SEARCH_STEPS = 200_000;

/** Thrown for an expression that is not a valid 5-field cron schedule. */
export class ScheduleSyntaxError extends Error {
  override readonly name = 'ScheduleSyntaxError';
}

export class CronSchedule {
  readonly expression: string;
  readonly #minutes: readonly boolean[];
  readonly #hours: readonly boolean[];
  readonly #daysOfMonth: readonly boolean[];
  readonly #months: readonly boolean[];
  readonly #daysOfWeek: readonly boolean[];
  /** Whether the day fields were `*` (cron's rule for combining them). */
  readonly #anyDayOfMonth: boolean;
  readonly #anyDayOfWeek: boolean;

  private constructor(expression: string, fields: boolean[][], anyDayOfMonth: boolean, anyDayOfWeek: boolean) {
    this.expression = expression;
    [this.#minutes, this.#hours, this.#daysOfMonth, this.#months, this.#daysOfWeek] = fields as [
      boolean[],
      boolean[],
      boolean[],
      boolean[],
      boolean[],
    ];
    this.#anyDayOfMonth = anyDayOfMonth;
    this.#anyDayOfWeek = anyDayOfWeek;
  }

  /** Parses `expression`; throws ScheduleSyntaxError naming the bad field, or when it never fires. */
  static parse(expression: string): CronSchedule {
    const trimmed = expression.trim();
    const expanded = DESCRIPTORS[trimmed.toLowerCase()] ?? trimmed;
    const tokens = expanded.split(/\s+/);
    if (tokens.length !== FIELDS.length) {
      throw new ScheduleSyntaxError(
        `schedule ${JSON.stringify(expression)} must have 5 fields (minute hour day-of-month month day-of-week), has ${tokens.length}`,
      );
    }
    const fields = FIELDS.map((spec, i) => parseField(tokens[i] as string, spec, expression));
    const daysOfWeek = fields[4] as boolean[];
    if (daysOfWeek[7]) daysOfWeek[0] = true;
    const schedule = new CronSchedule(
      expression,
      fields,
      (tokens[2] as string).startsWith('*'),
      (tokens[4] as string).startsWith('*'),
    );
    schedule.next(new Date(0));
    return schedule;
  }

  /** The first firing time strictly after `after` (whole minutes). */
  next(after: Date): Date {
    let t = Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    for (let step = 0; step < MAX_SEARCH_STEPS; step++) {
      const d = new Date(t);
      const [year, month, day, hour] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()];
      if (!this.#months[month + 1]) t = Date.UTC(year, month + 1, 1);
      else if (!this.#dayMatches(d)) t = Date.UTC(year, month, day + 1);
      else if (!this.#hours[hour]) t = Date.UTC(year, month, day, hour + 1);
      else if (!this.#minutes[d.getUTCMinutes()]) t += MINUTE_MS;
      else return d;
    }
    throw new ScheduleSyntaxError(`schedule ${JSON.stringify(this.expression)} never fires`);
  }

  /** The last firing time at or before `atOrBefore` (whole minutes). */
  previous(atOrBefore: Date): Date {
    let t = Math.floor(atOrBefore.getTime() / MINUTE_MS) * MINUTE_MS;
    for (let step = 0; step < MAX_SEARCH_STEPS; step++) {
      const d = new Date(t);
      const [year, month, day, hour] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()];
      if (!this.#months[month + 1]) t = Date.UTC(year, month, 1) - MINUTE_MS;
      else if (!this.#dayMatches(d)) t = Date.UTC(year, month, day) - MINUTE_MS;
      else if (!this.#hours[hour]) t = Date.UTC(year, month, day, hour) - MINUTE_MS;
      else if (!this.#minutes[d.getUTCMinutes()]) t -= MINUTE_MS;
      else return d;
    }
    throw new ScheduleSyntaxError(`schedule ${JSON.stringify(this.expression)} never fires`);
  }

  #dayMatches(d: Date): boolean {
    const dayOfMonth = this.#daysOfMonth[d.getUTCDate()] === true;
    const dayOfWeek = this.#daysOfWeek[d.getUTCDay()] === true;
    if (this.#anyDayOfMonth || this.#anyDayOfWeek) return dayOfMonth && dayOfWeek;
    return dayOfMonth || dayOfWeek;
  }
}

function parseField(token: string, spec: FieldSpec, expression: string): boolean[] {
  const fail = (why: string): never => {
    throw new ScheduleSyntaxError(
      `schedule ${JSON.stringify(expression)}: ${spec.name} ${JSON.stringify(token)} ${why}`,
    );
  };
  const values = new Array<boolean>(spec.max + 1).fill(false);
  for (const part of token.split(',')) {
    const [range, stepText, ...extra] = part.split('/');
    if (range === undefined || range === '' || extra.length > 0) fail('is malformed');
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) fail('has a bad step');
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === '*') {
      [low, high] = [spec.min, spec.max];
    } else {
      const bounds = (range as string).split('-');
      if (bounds.length > 2) fail('has a bad range');
      low = parseValue(bounds[0] as string, spec) ?? fail(`has a value outside ${spec.min}-${spec.max}`);
      high =
        bounds.length === 2
          ? (parseValue(bounds[1] as string, spec) ?? fail(`has a value outside ${spec.min}-${spec.max}`))
          : stepText !== undefined
            ? spec.max
            : low;
      if (low > high) fail('has a range that ends before it starts');
    }
    for (let v = low; v <= high; v += step) values[v] = true;
  }
  return values;
}

function parseValue(text: string, spec: FieldSpec): number | undefined {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + spec.min;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= spec.min && n <= spec.max ? n : undefined;
}
