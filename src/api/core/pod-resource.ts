/** The reference of Pods (v1, namespaced), for the clients of the scheduler and the node agents. */
import { resourceRef } from '../resource-ref.js';

export const podResource = resourceRef({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  namespaced: true,
});
