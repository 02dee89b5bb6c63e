/** The security.gardener.cloud/v1alpha1 kinds Transplant serves. */
export * from './credentials-binding.js';
