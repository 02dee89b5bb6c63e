/** The shoot's Infrastructure (`<shoot>`): with the local provider, nothing to create outside the object. */
import { type Infrastructure, infrastructureResource } from '../../../api/extensions/infrastructure.js';
import { type ExtensionKind, localProviderSpec } from './extension.js';

export const infrastructure: ExtensionKind<Infrastructure> = {
  resource: infrastructureResource,
  name: (c) => c.shoot.metadata.name!,
  spec: localProviderSpec,
};
