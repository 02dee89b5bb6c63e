/// <reference lib="dom" />
/**
 * The garden dashboard's page (served as /dashboard/dashboard.js; docs/moving-control-planes.md,
 * "Dashboard"): a login with a bearer token, kept in the tab's sessionStorage until logout; the
 * seeds and shoots as the garden's watches report them; a shoot's detail with its running steps
 * and progress; and, for users the garden lets update `shoots/binding`, the move: a preflight,
 * then the binding, followed to its end. What the user may do is the garden's to say (a
 * SelfSubjectAccessReview decides what is offered; the garden judges every request anyway). Every
 * value is written as text: nothing the garden sends is ever parsed as HTML.
 *
 * One file over 500 lines: the page's views share one state and one render; the requests
 * (dashboard-api.ts) and the pure logic (dashboard-model.ts, unit-tested) are apart.
 */
import { ApiError, type ApiObject, Collection, GardenApi } from './dashboard-api.js';
import {
  ageText,
  allocatableShoots,
  backupEntryOf,
  backupText,
  heartbeatOf,
  moveText,
  operationText,
  progressPercent,
  runningSteps,
  type ShootFacts,
  seedReadiness,
  seedText,
  shootFacts,
} from './dashboard-model.js';

const TOKEN_KEY = 'transplant.dashboard.token';
const CORE = '/apis/core.gardener.cloud/v1beta1';
const PREFLIGHT_API = '/apis/migration.transplant.gardener.cloud/v1alpha1';
/** The garden's own deadline for the seeds' answers is 30 s. */
const PREFLIGHT_TIMEOUT_MS = 60_000;
/** A 409 (the shoot changed between read and binding) is met with a fresh read, this many times. */
const BINDING_ATTEMPTS = 5;

/** The move panel of the shoot shown in the detail; a new one each time another shoot is shown. */
interface MovePanel {
  key: string;
  /** The preflight that passed, for this target; the Migrate button binds only to it. */
  passedFor?: string;
  /** The target of a binding made here, followed until it ends. */
  following?: string;
  /**
   * The shoot's resourceVersion the binding answered: the watch may deliver older versions of the
   * shoot after the binding's answer, which must not read as "bound elsewhere".
   */
  boundVersion?: bigint;
}

interface Session {
  api: GardenApi;
  seeds: Collection;
  shoots: Collection[];
  entries: Collection[];
  problems: Map<string, Error>;
  selected?: string;
  panel?: MovePanel;
  timer: ReturnType<typeof setInterval>;
}

let session: Session | undefined;

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  created.textContent = text;
  if (className) created.className = className;
  return created;
}

function setText(target: HTMLElement, text: string, className?: string): void {
  if (target.textContent !== text) target.textContent = text;
  if (className !== undefined && target.className !== className) target.className = className;
}

function describe(err: unknown): string {
  return err instanceof ApiError ? err.describe() : (err as Error).message;
}

/** A resourceVersion's place in the garden's order (its store's revision; 0 when unreadable). */
function versionOrder(resourceVersion: string | undefined): bigint {
  return /^\d+$/.test(resourceVersion ?? '') ? BigInt(resourceVersion!) : 0n;
}

// --- login -------------------------------------------------------------------------------------

function showLogin(error = ''): void {
  byId('app').hidden = true;
  byId('logout').hidden = true;
  byId('login').hidden = false;
  setText(byId('connection'), '');
  setText(byId('login-error'), error);
  byId<HTMLInputElement>('login-token').focus();
}

async function login(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const input = byId<HTMLInputElement>('login-token');
  const token = input.value.trim();
  byId<HTMLButtonElement>('login-submit').disabled = true;
  try {
    await start(token);
    sessionStorage.setItem(TOKEN_KEY, token);
    input.value = '';
  } catch (err) {
    showLogin(loginError(err));
  } finally {
    byId<HTMLButtonElement>('login-submit').disabled = false;
  }
}

function loginError(err: unknown): string {
  if (err instanceof ApiError && err.code === 401) {
    return 'The garden did not accept this token (401 Unauthorized). Paste the token of your garden kubeconfig.';
  }
  return `Cannot log in: ${describe(err)}`;
}

function logout(message = ''): void {
  sessionStorage.removeItem(TOKEN_KEY);
  if (session) {
    clearInterval(session.timer);
    for (const collection of [session.seeds, ...session.shoots, ...session.entries]) collection.stop();
    session = undefined;
  }
  // Nothing of what the garden showed this user stays on the page.
  for (const id of ['seed-rows', 'shoot-rows', 'preflight-checks', 'migrate-target']) byId(id).replaceChildren();
  for (const id of ['shoots-note', 'preflight-phase', 'migrate-result']) setText(byId(id), '');
  byId('detail').hidden = true;
  showLogin(message);
}

// --- the session: collections kept current by watches -------------------------------------------

/**
 * Checks the token (a SelfSubjectAccessReview any authenticated user may make: a bad token gets
 * the garden's 401 here), then watches what the user may list: every shoot for operators, the
 * shoots of each project the user may read otherwise.
 */
async function start(token: string): Promise<void> {
  const api = new GardenApi(token);
  const everywhere = await api.can({ verb: 'list', group: 'core.gardener.cloud', resource: 'shoots' });
  const namespaces = everywhere ? [''] : await readableNamespaces(api);
  const entriesEverywhere = await api.can({ verb: 'list', group: 'core.gardener.cloud', resource: 'backupentries' });
  const entryNamespaces = entriesEverywhere ? [''] : namespaces;
  const problems = new Map<string, Error>();
  const watched = (path: string) =>
    new Collection(api, path, scheduleRender, (problem) => {
      // A request of a session logged out already answers to nobody.
      if (session?.api !== api) return;
      if (problem) problems.set(path, problem);
      else problems.delete(path);
      if (problem instanceof ApiError && problem.code === 401) {
        logout('The garden no longer accepts the token (401 Unauthorized): log in again.');
        return;
      }
      scheduleRender();
    });
  const inNamespace = (ns: string, plural: string) => `${CORE}${ns ? `/namespaces/${ns}` : ''}/${plural}`;
  session = {
    api,
    seeds: watched(`${CORE}/seeds`),
    shoots: namespaces.map((ns) => watched(inNamespace(ns, 'shoots'))),
    entries: entryNamespaces.map((ns) => watched(inNamespace(ns, 'backupentries'))),
    problems,
    // Ages (heartbeats, backups) move on with the clock, not only with the watches.
    timer: setInterval(scheduleRender, 1000),
  };
  setText(
    byId('shoots-note'),
    everywhere ? '' : `The shoots of the project namespaces you may read: ${namespaces.join(', ') || 'none'}.`,
  );
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('logout').hidden = false;
  scheduleRender();
}

/** The namespaces of the projects whose shoots the user may list. */
async function readableNamespaces(api: GardenApi): Promise<string[]> {
  const projects = await api.request<{ items?: ApiObject[] }>('GET', `${CORE}/projects`).catch(() => ({ items: [] }));
  const namespaces = (projects.items ?? [])
    .map((p) => (p.spec as { namespace?: string } | undefined)?.namespace)
    .filter((ns): ns is string => typeof ns === 'string' && ns !== '');
  const allowed = await Promise.all(
    namespaces.map((namespace) =>
      api.can({ verb: 'list', group: 'core.gardener.cloud', resource: 'shoots', namespace }).catch(() => false),
    ),
  );
  return namespaces.filter((_, i) => allowed[i]).sort();
}

// --- rendering ------------------------------------------------------------------------------------

let renderQueued = false;

/** Renders once for a burst of watch events. */
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    if (session) render(session);
  }, 0);
}

function render(s: Session): void {
  const now = Date.now();
  const shoots = s.shoots.flatMap((c) => [...c.items.values()]).map(shootFacts);
  const entries = s.entries.flatMap((c) => [...c.items.values()]);
  renderConnection(s);
  renderSeeds(s, shoots, now);
  renderShoots(shoots, entries, now);
  renderDetail(s, shoots, entries, now);
}

function renderConnection(s: Session): void {
  const problem = [...s.problems.values()][0];
  setText(
    byId('connection'),
    problem ? `Connection problem, retrying: ${describe(problem)}` : 'Live',
    problem ? 'error' : 'ok',
  );
}

/**
 * Keeps the rows of `body` in the order of `keys`: an existing row is updated in place (a click
 * on it is not lost to a re-render), a new one is created, a row whose key went is removed.
 */
function syncRows(
  body: HTMLElement,
  keys: string[],
  create: (key: string) => HTMLTableRowElement,
  update: (row: HTMLTableRowElement, key: string) => void,
): void {
  const existing = new Map<string, HTMLTableRowElement>();
  for (const row of [...body.children] as HTMLTableRowElement[]) existing.set(row.dataset.key ?? '', row);
  keys.forEach((key, i) => {
    let row = existing.get(key);
    existing.delete(key);
    if (!row) {
      row = create(key);
      row.dataset.key = key;
    }
    update(row, key);
    if (body.children[i] !== row) body.insertBefore(row, body.children[i] ?? null);
  });
  for (const row of existing.values()) row.remove();
}

function cells(count: number): HTMLTableRowElement {
  const row = element('tr');
  for (let i = 0; i < count; i++) row.append(element('td'));
  return row;
}

function cell(row: HTMLTableRowElement, index: number): HTMLTableCellElement {
  return row.cells[index]!;
}

function renderSeeds(s: Session, shoots: ShootFacts[], now: number): void {
  const seeds = new Map([...s.seeds.items.values()].map((seed) => [seed.metadata.name, seed]));
  syncRows(
    byId('seed-rows'),
    [...seeds.keys()].sort(),
    () => cells(4),
    (row, name) => {
      const seed = seeds.get(name)!;
      const readiness = seedReadiness(seed);
      const placed = shoots.filter((shoot) => shoot.specSeedName === name).length;
      const allocatable = allocatableShoots(seed);
      setText(cell(row, 0), name);
      setText(cell(row, 1), readiness.ready ? 'Ready' : 'NotReady', readiness.ready ? 'ok' : 'error');
      cell(row, 1).title = readiness.why;
      setText(cell(row, 2), ageText(heartbeatOf(seed), now));
      setText(cell(row, 3), allocatable === undefined ? String(placed) : `${placed} / ${allocatable}`);
    },
  );
}

function conditionBadges(shoot: ShootFacts): HTMLElement[] {
  return shoot.conditions.map((c) => {
    const badge = element('span', c.type, `badge ${c.status === 'True' ? 'ok' : 'error'}`);
    badge.title = `${c.status}: ${c.message ?? c.reason ?? ''}`;
    return badge;
  });
}

function renderShoots(shoots: ShootFacts[], entries: ApiObject[], now: number): void {
  const byKey = new Map(shoots.map((shoot) => [`${shoot.namespace}/${shoot.name}`, shoot]));
  syncRows(
    byId('shoot-rows'),
    [...byKey.keys()].sort(),
    (key) => {
      const row = cells(5);
      const open = element('button', key, 'link');
      open.type = 'button';
      open.addEventListener('click', () => select(key));
      cell(row, 0).append(open);
      return row;
    },
    (row, key) => {
      const shoot = byKey.get(key)!;
      setText(cell(row, 1), seedText(shoot));
      setText(cell(row, 2), operationText(shoot.lastOperation));
      cell(row, 2).title = shoot.lastOperation?.description ?? '';
      cell(row, 3).replaceChildren(...conditionBadges(shoot));
      setText(cell(row, 4), backupText(backupEntryOf(shoot, entries), now));
    },
  );
}

function listItems(target: HTMLElement, texts: string[]): void {
  target.replaceChildren(...(texts.length > 0 ? texts : ['—']).map((text) => element('li', text)));
}

function renderDetail(s: Session, shoots: ShootFacts[], entries: ApiObject[], now: number): void {
  const shoot = shoots.find((x) => `${x.namespace}/${x.name}` === s.selected);
  byId('detail').hidden = !shoot;
  if (!shoot) return;
  setText(byId('detail-title'), `${shoot.namespace}/${shoot.name}`);
  setText(byId('detail-seed'), seedText(shoot));
  setText(byId('detail-operation'), operationText(shoot.lastOperation));
  setText(byId('detail-description'), shoot.lastOperation?.description || '—');
  const percent = progressPercent(shoot);
  byId<HTMLProgressElement>('detail-progress').value = percent;
  setText(byId('detail-percent'), `${percent}%`);
  listItems(byId('detail-steps'), runningSteps(shoot.lastOperation));
  listItems(
    byId('detail-errors'),
    shoot.lastErrors.map((e) => `${e.taskID ?? ''}: ${e.description ?? ''}`),
  );
  listItems(
    byId('detail-conditions'),
    shoot.conditions.map((c) => `${c.type} ${c.status}: ${c.message ?? c.reason ?? ''}`),
  );
  setText(byId('detail-backup'), backupText(backupEntryOf(shoot, entries), now));
  renderMovePanel(s, shoot);
}

function renderMovePanel(s: Session, shoot: ShootFacts): void {
  const panel = s.panel;
  if (!panel) return;
  const select = byId<HTMLSelectElement>('migrate-target');
  const targets = [...s.seeds.items.keys()].filter((name) => name !== shoot.specSeedName).sort();
  if ([...select.options].map((o) => o.value).join('\n') !== targets.join('\n')) {
    const chosen = select.value;
    select.replaceChildren(...targets.map((name) => new Option(name, name, false, name === chosen)));
    panel.passedFor = undefined;
  }
  byId<HTMLButtonElement>('migrate-bind').disabled = panel.passedFor === undefined || panel.passedFor !== select.value;
  if (panel.following) {
    if (panel.boundVersion !== undefined && versionOrder(shoot.resourceVersion) < panel.boundVersion) return;
    const progress = moveText(shoot, panel.following);
    setText(byId('migrate-result'), progress.text, progress.failed ? 'error' : progress.ended ? 'ok' : '');
    if (progress.ended) panel.following = undefined;
  }
}

// --- the detail and the move ------------------------------------------------------------------------

/** Shows `key`'s detail; the move is offered when the garden says the user may bind the shoot. */
async function select(key: string): Promise<void> {
  const s = session;
  if (!s) return;
  const panel: MovePanel = { key };
  s.selected = key;
  s.panel = panel;
  byId('migrate').hidden = true;
  byId('migrate-refused').hidden = true;
  byId<HTMLSelectElement>('migrate-target').replaceChildren();
  clearPreflight();
  setText(byId('migrate-result'), '', '');
  scheduleRender();
  const [namespace, name] = key.split('/') as [string, string];
  const mayBind = await s.api
    .can({ verb: 'update', group: 'core.gardener.cloud', resource: 'shoots', subresource: 'binding', namespace, name })
    .catch(() => false);
  if (s.panel !== panel) return;
  byId('migrate').hidden = !mayBind;
  byId('migrate-refused').hidden = mayBind;
}

function clearPreflight(): void {
  byId('preflight-checks').replaceChildren();
  setText(byId('preflight-phase'), '', '');
}

interface PreflightCheck {
  name: string;
  status: string;
  origin: string;
  message: string;
}

function showPreflight(preflight: ApiObject): void {
  const status = (preflight.status ?? {}) as { phase?: string; checks?: PreflightCheck[] };
  const phase = status.phase ?? 'Pending';
  const failed = (status.checks ?? []).filter((c) => c.status === 'Failed').map((c) => c.name);
  setText(
    byId('preflight-phase'),
    phase === 'Pending'
      ? 'Preflight Pending: waiting for the checks'
      : phase === 'Succeeded'
        ? 'Preflight Succeeded: every check passed'
        : `Preflight Failed: ${failed.join(', ') || 'not every check passed'}`,
    phase === 'Succeeded' ? 'ok' : phase === 'Failed' ? 'error' : '',
  );
  syncRows(
    byId('preflight-checks'),
    (status.checks ?? []).map((c) => c.name),
    () => cells(4),
    (row, name) => {
      const check = status.checks!.find((c) => c.name === name)!;
      setText(cell(row, 0), check.name);
      setText(cell(row, 1), check.status, check.status === 'Passed' ? 'ok' : check.status === 'Failed' ? 'error' : '');
      setText(cell(row, 2), check.origin);
      setText(cell(row, 3), check.message);
    },
  );
}

/**
 * Asks the garden a MigrationPreflight for the chosen seed, shows each check as it is answered
 * (a watch on it), and deletes it once it settled: it is a question, not state.
 */
async function runPreflight(): Promise<void> {
  const s = session;
  const panel = s?.panel;
  if (!s || !panel) return;
  const [namespace, shoot] = panel.key.split('/') as [string, string];
  const target = byId<HTMLSelectElement>('migrate-target').value;
  const button = byId<HTMLButtonElement>('preflight-run');
  if (!target) return;
  button.disabled = true;
  panel.passedFor = undefined;
  clearPreflight();
  setText(byId('preflight-phase'), `Preflight: asking the garden about ${target}…`, '');
  setText(byId('migrate-result'), '', '');
  scheduleRender();
  const path = `${PREFLIGHT_API}/namespaces/${encodeURIComponent(namespace)}/migrationpreflights`;
  let last: ApiObject;
  try {
    last = await s.api.request<ApiObject>('POST', path, {
      apiVersion: 'migration.transplant.gardener.cloud/v1alpha1',
      kind: 'MigrationPreflight',
      metadata: { generateName: `${shoot}-`, namespace },
      spec: { shootName: shoot, seedName: target },
    });
  } catch (err) {
    setText(byId('preflight-phase'), `The garden refused the preflight: ${describe(err)}`, 'error');
    button.disabled = false;
    return;
  }
  const name = encodeURIComponent(last.metadata.name);
  const settled = (p: ApiObject) => ((p.status ?? {}) as { phase?: string }).phase ?? 'Pending';
  const done = new AbortController();
  const timer = setTimeout(() => done.abort(), PREFLIGHT_TIMEOUT_MS);
  try {
    if (s.panel === panel) showPreflight(last);
    if (settled(last) === 'Pending') {
      const from = encodeURIComponent(last.metadata.resourceVersion ?? '');
      await s.api.watch(
        `${path}/${name}?watch=1&resourceVersion=${from}`,
        (type, object) => {
          if (type !== 'ADDED' && type !== 'MODIFIED') return;
          last = object;
          if (s.panel === panel) showPreflight(object);
          if (settled(object) !== 'Pending') done.abort();
        },
        done.signal,
      );
    }
  } catch (err) {
    if (!done.signal.aborted && s.panel === panel) {
      setText(byId('preflight-phase'), `Following the preflight failed: ${describe(err)}`, 'error');
    }
  } finally {
    clearTimeout(timer);
    await s.api.request('DELETE', `${path}/${name}`).catch(() => undefined);
  }
  if (s.panel !== panel) return;
  if (settled(last) === 'Pending') setText(byId('preflight-phase'), 'The preflight did not settle in time', 'error');
  if (settled(last) === 'Succeeded') panel.passedFor = target;
  button.disabled = false;
  scheduleRender();
}

/**
 * The seed document's binding: the shoot read, `spec.seedName` set, PUT to `shoots/<name>/binding`
 * with the resourceVersion it was read at; a 409 reads it again. The garden judges it (RBAC,
 * admission) whatever this page offered.
 */
async function bind(): Promise<void> {
  const s = session;
  const panel = s?.panel;
  if (!s || !panel) return;
  const [namespace, name] = panel.key.split('/') as [string, string];
  const target = byId<HTMLSelectElement>('migrate-target').value;
  const path = `${CORE}/namespaces/${encodeURIComponent(namespace)}/shoots/${encodeURIComponent(name)}`;
  byId<HTMLButtonElement>('migrate-bind').disabled = true;
  panel.passedFor = undefined;
  setText(byId('migrate-result'), `Binding to ${target}…`, '');
  let bound: ApiObject;
  for (let attempt = 1; ; attempt++) {
    try {
      bound = await s.api.request<ApiObject>('GET', path);
      if ((bound.spec as { seedName?: string } | undefined)?.seedName !== target) {
        bound = await s.api.request('PUT', `${path}/binding`, { ...bound, spec: { ...bound.spec, seedName: target } });
      }
      break;
    } catch (err) {
      if (err instanceof ApiError && err.code === 409 && attempt < BINDING_ATTEMPTS) continue;
      if (s.panel === panel)
        setText(byId('migrate-result'), `The garden refused the binding: ${describe(err)}`, 'error');
      return;
    }
  }
  if (s.panel !== panel) return;
  clearPreflight();
  panel.following = target;
  panel.boundVersion = versionOrder(bound.metadata.resourceVersion);
  setText(byId('migrate-result'), `Bound to ${target}: following the move…`, '');
  scheduleRender();
}

// --- wiring -----------------------------------------------------------------------------------------

byId<HTMLFormElement>('login-form').addEventListener('submit', (event) => void login(event));
byId('logout').addEventListener('click', () => logout());
byId('preflight-run').addEventListener('click', () => void runPreflight());
byId('migrate-bind').addEventListener('click', () => void bind());
// A preflight answers for one target: another choice needs its own.
byId('migrate-target').addEventListener('change', () => {
  if (session?.panel) session.panel.passedFor = undefined;
  clearPreflight();
  scheduleRender();
});

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) start(saved).catch((err: unknown) => logout(loginError(err)));
else showLogin();
