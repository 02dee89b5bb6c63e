/** security.gardener.cloud/v1alpha1 as Gardener defines it (pkg/apis/security/v1alpha1); notation: field-table.ts. */
import type { TypeTable } from './field-table.js';

export const securityV1alpha1Types: TypeTable = {
  id: 'com.github.gardener.gardener.pkg.apis.security.v1alpha1',
  descriptions: {
    CredentialsBinding: 'Grants the shoots of a namespace the use of credentials (a Secret or WorkloadIdentity).',
  },
  types: {
    CredentialsBinding: {
      metadata: 'k8s:meta/ObjectMeta',
      provider: ['CredentialsBindingProvider!', 'Provider type the credentials are for.'],
      credentialsRef: ['k8s:core/ObjectReference!', 'Secret or WorkloadIdentity with the infrastructure credentials.'],
      quotas: ['[]k8s:core/ObjectReference', 'Quotas that limit the shoots using this binding.'],
    },
    CredentialsBindingProvider: {
      type: ['string!', 'Provider type (comma-separated for several).'],
    },
  },
};
