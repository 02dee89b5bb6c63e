/** The shoot's ControlPlane extension (`<shoot>`, purpose `normal`): the provider's control-plane parts. */
import { type ControlPlane, controlPlaneResource } from '../../../api/extensions/control-plane.js';
import { type ExtensionKind, localProviderSpec } from './extension.js';

export const controlPlane: ExtensionKind<ControlPlane> = {
  resource: controlPlaneResource,
  name: (c) => c.shoot.metadata.name!,
  spec: (c) => ({ ...localProviderSpec(c), purpose: 'normal' }),
};
