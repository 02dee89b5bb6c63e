/**
 * Labels the gardenlet stamps on the objects it creates in a shoot's control-plane namespace
 * that the shoot controller watches (the Etcd, the EtcdCopyBackupsTask): which garden shoot they
 * belong to. The controller's watches map a changed object back to its shoot from these labels
 * alone, so the mapping holds right after a seed restart.
 */
import type { KubeObject } from '../../api/meta.js';
import type { ObjectKey } from '../../controller/controller.js';

/** The shoot's namespace in the garden (its project's namespace). */
export const SHOOT_NAMESPACE_LABEL = 'transplant.gardener.cloud/shoot-namespace';
/** The shoot's name. */
export const SHOOT_NAME_LABEL = 'transplant.gardener.cloud/shoot-name';

/** The labels naming `shoot`. */
export function shootLabels(shoot: KubeObject): Record<string, string> {
  return { [SHOOT_NAMESPACE_LABEL]: shoot.metadata.namespace ?? '', [SHOOT_NAME_LABEL]: shoot.metadata.name ?? '' };
}

/** The garden key of the shoot `obj` belongs to, as its labels say; none without them. */
export function shootKeysOf(obj: KubeObject): ObjectKey[] {
  const namespace = obj.metadata.labels?.[SHOOT_NAMESPACE_LABEL];
  const name = obj.metadata.labels?.[SHOOT_NAME_LABEL];
  return namespace && name ? [{ namespace, name }] : [];
}
