/** The definitions of the security.gardener.cloud/v1alpha1 kinds the garden serves. */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { credentialsBindingDefinition } from './credentials-binding.js';

/** CredentialsBinding. */
export const securityGardenerDefinitions: ResourceDefinition[] = [credentialsBindingDefinition];
