/**
 * What a shoot's two-phase credentials rotation means for its secrets (Gardener's secrets manager
 * with CA bundles, GEP-18): which persisted secrets each rotation replaces, which CA signs what
 * and which CAs are trusted in each phase.
 *
 * | phase                | persisted secrets               | trusted (bundles)  | signs client certs | signs serving certs |
 * |----------------------|---------------------------------|--------------------|--------------------|---------------------|
 * | none / Completed     | `ca`, `ca-client`               | current            | current            | current             |
 * | Preparing → Prepared | `ca`, `ca-client` + `…-new`     | current + new      | new                | current (old)       |
 * | Completing           | `ca` := `ca-new`, `-new` gone   | new                | new                | new                 |
 *
 * The serving certificate stays signed by the old cluster CA until the rotation completes
 * (Gardener's `UseOldCA` for the kube-apiserver), so kubeconfigs that trust only the old CA keep
 * working in between; kubeconfigs issued from Preparing on trust both CAs and carry a client
 * certificate of the new client CA, so they keep working after the old ones are dropped.
 *
 * Each successor is persisted in the ShootState before anything is issued from it, so a rotation
 * started on one seed completes on another (the ShootState carries both generations, the shoot's
 * status the phase).
 */
import type { RotationKind } from '../api/core-gardener/shoot-operation.js';
import type { CertificateAuthority } from '../apiserver/pki/certificates.js';
import { ShootSecretName, type ShootSecrets, successorSecretName } from './shoot-secrets.js';

/** The persisted secrets each rotation replaces. */
export const ROTATED_SECRET_NAMES: Readonly<Record<RotationKind, readonly string[]>> = Object.freeze({
  certificateAuthorities: Object.freeze([ShootSecretName.ca, ShootSecretName.caClient]),
  serviceAccountKey: Object.freeze([ShootSecretName.serviceAccountKey]),
});

/** Every successor's name (`ca-new`, `ca-client-new`, `service-account-key-new`). */
export const SUCCESSOR_SECRET_NAMES: readonly string[] = Object.freeze(
  Object.values(ROTATED_SECRET_NAMES).flat().map(successorSecretName),
);

/** The cluster CAs a client trusts the API server with: the current one and, while rotating, the new one. */
export function clusterCaBundle(secrets: ShootSecrets): string {
  return bundle(secrets.ca, secrets.next?.ca);
}

/** The client CAs the API server (and the vpn-seed-server) accepts client certificates of. */
export function clientCaBundle(secrets: ShootSecrets): string {
  return bundle(secrets.caClient, secrets.next?.caClient);
}

/** The client CA that signs client certificates issued now: the new one while rotating. */
export function clientSigningCa(secrets: ShootSecrets): CertificateAuthority {
  return secrets.next?.caClient ?? secrets.caClient;
}

/**
 * PEM certificates concatenated, each once, in order (Node's TLS and kubectl read several from one
 * PEM); a single CA's PEM exactly as it is.
 */
export function bundle(...cas: readonly (CertificateAuthority | undefined)[]): string {
  const pems = [...new Set(cas.flatMap((ca) => (ca ? [ca.certPem] : [])))];
  return pems.map((pem, i) => (i < pems.length - 1 && !pem.endsWith('\n') ? `${pem}\n` : pem)).join('');
}
