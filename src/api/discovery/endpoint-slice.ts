/** EndpointSlice (discovery.k8s.io/v1, namespaced): a share of a Service's endpoints, written by its controller. */
import { resourceRef } from '../resource-ref.js';

export const endpointSliceResource = resourceRef({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  namespaced: true,
});
