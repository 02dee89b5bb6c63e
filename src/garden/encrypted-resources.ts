/** What the garden encrypts at rest: every Secret, and ShootStates (every shoot's CA and service-account keys). */
export const gardenEncryptedResources: readonly string[] = ['secrets', 'shootstates.core.gardener.cloud'];
