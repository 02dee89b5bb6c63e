/**
 * MigrationPreflightRequester: a MigrationPreflight records who asked, as a
 * CertificateSigningRequest does. On create, `spec.username`, `spec.uid` and `spec.groups` are set
 * from the request's user, whatever the client sent, so the preflight's "may the requester bind"
 * is answered for the requester and nobody can ask in someone else's name. The spec is immutable
 * afterwards (the kind's strategy).
 */

import { isRecord } from '../../api/meta.js';
import {
  MIGRATION_TRANSPLANT_GROUP,
  migrationPreflightResource,
} from '../../api/migration-transplant/migration-preflight.js';
import type { AdmissionAttributes, AdmissionPlugin, Operation } from '../../apiserver/types.js';

export class MigrationPreflightRequester implements AdmissionPlugin {
  readonly name = 'MigrationPreflightRequester';

  handles(operation: Operation): boolean {
    return operation === 'CREATE';
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.kind.group !== MIGRATION_TRANSPLANT_GROUP || attrs.resource !== migrationPreflightResource.plural) return;
    if (attrs.subresource) return;
    const spec = isRecord(attrs.object.spec) ? attrs.object.spec : {};
    const { username: _username, uid: _uid, groups: _groups, ...asked } = spec;
    attrs.object.spec = {
      ...asked,
      username: attrs.user.name,
      ...(attrs.user.uid ? { uid: attrs.user.uid } : {}),
      groups: [...attrs.user.groups],
    };
  }
}
