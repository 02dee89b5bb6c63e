/**
 * The gardenlet's ControllerInstallation controllers in one (Gardener's `controllerinstallation`
 * and `care`): for each installation on this seed it reports whether this process runs the
 * registration's controllers. Gardener deploys a Helm chart and watches its ManagedResource; a
 * Transplant seed's extension controllers are part of its process (`--extensions`), so an
 * installation is Installed and Healthy exactly when a running controller serves every kind/type
 * of its registration, and Installed False (`ExtensionNotSupported`) naming what is missing
 * otherwise. Nothing is ever installed: the report is the truth about the process.
 *
 * `extensionsReadyCondition` is Gardener's seed `ExtensionsReady` check over the same
 * installations, which the heartbeat reports.
 */
import {
  type ControllerInstallation,
  controllerInstallationResource,
  controllerRegistrationResource,
  type ExtensionId,
  getCondition,
  registrationServes,
  setCondition,
  ControllerInstallationConditionType as Type,
} from '../../api/core-gardener/index.js';
import type { Condition } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import type { ServedExtensions } from '../extensions/extension-packages.js';

export interface ControllerInstallationReporterOptions {
  seedName: string;
  /** The garden, as this seed's gardenlet. */
  garden: Client;
  served: ServedExtensions;
  /** Called after a report changed (the heartbeat then reports ExtensionsReady at once). */
  onStatusChange?: () => void;
}

type Report = { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string };

export class ControllerInstallationReporter implements Reconciler {
  readonly #options: ControllerInstallationReporterOptions;

  constructor(options: ControllerInstallationReporterOptions) {
    this.#options = options;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const { garden, seedName } = this.#options;
    const installations = garden.resource(controllerInstallationResource);
    const installation = await installations.find('', key.name);
    if (!installation || installation.spec.seedRef?.name !== seedName || installation.metadata.deletionTimestamp) {
      return {};
    }
    const registrationName = installation.spec.registrationRef.name;
    const registration = await garden.resource(controllerRegistrationResource).find('', registrationName);
    const reports = registration
      ? this.#reports(registrationServes(registration))
      : [
          {
            type: Type.Valid,
            status: 'False' as const,
            reason: 'RegistrationNotFound',
            message: `Referenced ControllerRegistration ${registrationName} does not exist.`,
          },
        ];
    let conditions = installation.status?.conditions ?? [];
    for (const r of reports) conditions = setCondition(conditions, r.type, r.status, r.reason, r.message);
    if (unchanged(installation, conditions)) return {};
    await installations.patch('', key.name, { status: { conditions } }, { subresource: 'status' });
    this.#options.onStatusChange?.();
    return {};
  }

  #reports(ids: readonly ExtensionId[]): Report[] {
    const { served } = this.#options;
    const missing = ids.filter((id) => !served.serves(id));
    const valid: Report = {
      type: Type.Valid,
      status: 'True',
      reason: 'RegistrationValid',
      message: 'The referenced ControllerRegistration exists.',
    };
    const progressing: Report = {
      type: Type.Progressing,
      status: 'False',
      reason: 'ControllerRolledOut',
      message: 'The controller has been rolled out successfully.',
    };
    if (missing.length === 0) {
      return [
        valid,
        {
          type: Type.Installed,
          status: 'True',
          reason: 'InstallationSuccessful',
          message: 'The controller was successfully installed in the seed cluster.',
        },
        {
          type: Type.Healthy,
          status: 'True',
          reason: 'ControllerHealthy',
          message: 'The controller running in the seed cluster is healthy.',
        },
        progressing,
      ];
    }
    const message = `seed ${this.#options.seedName} runs no controller for ${missing.join(', ')} (it runs ${served}: transplant seed --extensions)`;
    return [
      valid,
      { type: Type.Installed, status: 'False', reason: 'ExtensionNotSupported', message },
      { type: Type.Healthy, status: 'False', reason: 'ControllerNotInstalled', message },
      progressing,
    ];
  }
}

/** Whether the new conditions say what the stored ones say (timestamps aside): then nothing is written. */
function unchanged(installation: ControllerInstallation, conditions: readonly Condition[]): boolean {
  const stored = installation.status?.conditions ?? [];
  return (
    stored.length === conditions.length &&
    conditions.every((c) => {
      const old = getCondition(stored, c.type);
      return old?.status === c.status && old.reason === c.reason && old.message === c.message;
    })
  );
}

/**
 * Gardener's seed `ExtensionsReady` (controllermanager `seed/extensionscheck`): True when every
 * installation on the seed is Valid, Installed, Healthy and not Progressing; otherwise False
 * naming the first kind of problem and the installations that have it.
 */
export function extensionsReadyCondition(installations: readonly ControllerInstallation[]): Report {
  const problems: Record<'notValid' | 'notInstalled' | 'notHealthy' | 'progressing', Record<string, string>> = {
    notValid: {},
    notInstalled: {},
    notHealthy: {},
    progressing: {},
  };
  for (const installation of installations) {
    const name = installation.metadata.name!;
    const conditions = installation.status?.conditions ?? [];
    if (conditions.length === 0) {
      problems.notInstalled[name] = 'extension was not yet installed';
      continue;
    }
    const check = (type: string, want: string, into: Record<string, string>) => {
      const c = getCondition(conditions, type);
      if (!c) problems.notHealthy[name] ??= 'not all required conditions found in ControllerInstallation';
      else if (c.status !== want) into[name] = c.message ?? '';
    };
    check(Type.Valid, 'True', problems.notValid);
    check(Type.Installed, 'True', problems.notInstalled);
    check(Type.Healthy, 'True', problems.notHealthy);
    check(Type.Progressing, 'False', problems.progressing);
  }
  const describe = (found: Record<string, string>) =>
    Object.entries(found)
      .map(([name, message]) => `${name}: ${message}`)
      .join('; ');
  const cases = [
    ['notValid', 'NotAllExtensionsValid', 'Some extensions are not valid'],
    ['notInstalled', 'NotAllExtensionsInstalled', 'Some extensions are not installed'],
    ['notHealthy', 'NotAllExtensionsHealthy', 'Some extensions are not healthy'],
    ['progressing', 'SomeExtensionsProgressing', 'Some extensions are progressing'],
  ] as const;
  for (const [key, reason, text] of cases) {
    if (Object.keys(problems[key]).length > 0) {
      return { type: 'ExtensionsReady', status: 'False', reason, message: `${text}: ${describe(problems[key])}` };
    }
  }
  return {
    type: 'ExtensionsReady',
    status: 'True',
    reason: 'AllExtensionsReady',
    message: 'All extensions installed into the seed cluster are ready and healthy.',
  };
}
