/**
 * `shoots/adminkubeconfig` (POST): Gardener's AdminKubeconfigRequest
 * (`authentication.gardener.cloud/v1alpha1`). It answers with a kubeconfig for the shoot's API
 * whose client certificate is signed by the shoot's client CA (`ca-client`, read from the
 * shoot's ShootState), trusts the shoot's cluster CA (`ca`) and points at the shoot's advertised
 * address, so it stays valid wherever the control plane runs (docs/migration.md §ShootState).
 *
 * Rules, as in Gardener (`pkg/apiserver/registry/core/shoot/storage/kubeconfig.go`,
 * `pkg/apis/authentication/validation`):
 * - `spec.expirationSeconds` defaults to 3600; below 600 ("may not specify a duration less than
 *   10 minutes") or above 2^32-1 the request is Invalid (422, field `spec.expirationSeconds`);
 *   above the server's maximum (Gardener's `--shoot-admin-kubeconfig-max-expiration`, default
 *   24 h) it is lowered to that maximum, and the answer's `spec` and `expirationTimestamp` say so.
 * - The certificate's CN is the requesting user's name, its O `system:masters`.
 * - The kubeconfig points at the first advertised address named `external`, `internal` or
 *   `unmanaged` with an https URL; its cluster, context and user are named
 *   `<namespace>--<shoot>-<address name>`, e.g. `garden-dev--demo-external` (Gardener's names).
 * - RBAC (`create` on `shoots/adminkubeconfig`) is checked by the server before this runs.
 *
 * Where Gardener reads the CAs from its own secrets, Transplant reads them from the ShootState;
 * a shoot whose ShootState has no client CA yet, or whose status has no API address yet, is
 * answered with a Conflict naming what is missing. No key material is ever logged.
 */

import { type Shoot, shootResource } from '../api/core-gardener/shoot.js';
import { shootStateResource } from '../api/core-gardener/shoot-state.js';
import {
  badRequest,
  conflict,
  FieldError,
  internalError,
  invalid,
  methodNotAllowed,
  notFound,
  pathNotFound,
} from '../api/errors.js';
import { isRecord, type KubeObject, nowTimestamp } from '../api/meta.js';
import { parseBody } from '../apiserver/http-util.js';
import { buildKubeconfig } from '../apiserver/kubeconfig.js';
import type { CertificateAuthority } from '../apiserver/pki/certificates.js';
import { x509 } from '../apiserver/pki/x509.js';
import type { CustomHandler, CustomRequest } from '../apiserver/server.js';
import type { Client } from '../client/client.js';
import { bundle } from '../shoot/credentials-rotation.js';
import { issueAdminClientCertificate } from '../shoot/shoot-certificates.js';
import {
  certificateAuthorityFromSecret,
  ShootSecretName,
  secretObjectsFromShootState,
  successorSecretName,
} from '../shoot/shoot-secrets.js';

export const AUTHENTICATION_GROUP = 'authentication.gardener.cloud';
export const ADMIN_KUBECONFIG_REQUEST_API_VERSION = `${AUTHENTICATION_GROUP}/v1alpha1`;
export const ADMIN_KUBECONFIG_REQUEST_KIND = 'AdminKubeconfigRequest';

/** Gardener's default `spec.expirationSeconds`: one hour. */
export const defaultAdminKubeconfigExpirationSeconds = 60 * 60;
/** Shorter requests are Invalid (Gardener: "may not specify a duration less than 10 minutes"). */
export const minAdminKubeconfigExpirationSeconds = 10 * 60;
/** Longer requests are lowered to this (Gardener's `--shoot-admin-kubeconfig-max-expiration` default). */
export const defaultMaxAdminKubeconfigExpirationSeconds = 24 * 60 * 60;
/** Requests beyond 2^32-1 seconds are Invalid. */
const maxRequestableSeconds = 2 ** 32 - 1;

/** The groups of the certificate's subject (O): full admin rights in the shoot. */
const adminGroups = ['system:masters'];

/** `status.advertisedAddresses[].name` values that reach the kube-apiserver with the cluster CA. */
const apiServerAddressNames = new Set(['external', 'internal', 'unmanaged']);

const shootsRef = { group: 'core.gardener.cloud', resource: 'shoots' };
const requestKind = { group: AUTHENTICATION_GROUP, kind: ADMIN_KUBECONFIG_REQUEST_KIND };

export interface AdminKubeconfigOptions {
  /** Longer requests are lowered to this; default 86400 (24 h). */
  maxExpirationSeconds?: number;
}

/** `client` is the garden's own: it reads the Shoot and its ShootState. */
export function adminKubeconfigHandler(client: Client, options: AdminKubeconfigOptions = {}): CustomHandler {
  const maxExpirationSeconds = options.maxExpirationSeconds ?? defaultMaxAdminKubeconfigExpirationSeconds;
  return {
    group: shootsRef.group,
    version: 'v1beta1',
    resource: shootsRef.resource,
    subresource: 'adminkubeconfig',
    async handle(req) {
      if (req.info.verb !== 'create') {
        throw methodNotAllowed('only POST (create) is served for shoots/adminkubeconfig');
      }
      const { namespace, name } = req.info;
      if (!namespace || !name) throw pathNotFound();
      const request = parseRequest(req, name, maxExpirationSeconds);
      if (!req.user.name) throw badRequest('no user in the request');

      const shoot = await client.resource(shootResource).find(namespace, name);
      if (!shoot) throw notFound(shootsRef, name);
      const { caBundlePem, caClient } = await shootCertificateAuthorities(client, shoot);
      const addresses = apiServerAddresses(shoot);

      const certificate = await issueAdminClientCertificate(caClient, {
        user: req.user.name,
        groups: adminGroups,
        validitySeconds: request.expirationSeconds,
      });
      const [first] = addresses;
      const clusterName = `${namespace}--${name}-${first!.name}`;
      const kubeconfig = buildKubeconfig({
        clusterName,
        server: first!.server,
        caPem: caBundlePem,
        user: { name: clusterName, clientCertPem: certificate.certPem, clientKeyPem: certificate.keyPem },
      });
      const notAfter = new x509.X509Certificate(certificate.certPem).notAfter;
      return {
        code: 201,
        body: {
          apiVersion: ADMIN_KUBECONFIG_REQUEST_API_VERSION,
          kind: ADMIN_KUBECONFIG_REQUEST_KIND,
          metadata: { ...request.metadata, name, namespace },
          spec: { expirationSeconds: request.expirationSeconds },
          status: {
            kubeconfig: Buffer.from(kubeconfig, 'utf8').toString('base64'),
            expirationTimestamp: nowTimestamp(notAfter),
          },
        },
      };
    },
  };
}

interface ParsedRequest {
  metadata: Record<string, unknown>;
  /** After defaulting and lowering to the maximum. */
  expirationSeconds: number;
}

/** Decodes (400) and validates (422) the AdminKubeconfigRequest; defaults and caps the expiration. */
function parseRequest(req: CustomRequest, shootName: string, maxExpirationSeconds: number): ParsedRequest {
  const body = parseBody(req.raw, req.contentType);
  if (!isRecord(body)) {
    throw badRequest(
      `the request body must be an ${ADMIN_KUBECONFIG_REQUEST_API_VERSION} ${ADMIN_KUBECONFIG_REQUEST_KIND}`,
    );
  }
  const { apiVersion, kind } = body;
  if (
    (apiVersion !== undefined && apiVersion !== ADMIN_KUBECONFIG_REQUEST_API_VERSION) ||
    (kind !== undefined && kind !== ADMIN_KUBECONFIG_REQUEST_KIND)
  ) {
    throw badRequest(
      `shoots/adminkubeconfig takes an ${ADMIN_KUBECONFIG_REQUEST_API_VERSION} ${ADMIN_KUBECONFIG_REQUEST_KIND}, not ${String(apiVersion ?? '<no apiVersion>')} ${String(kind ?? '<no kind>')}`,
    );
  }
  if (body.metadata !== undefined && body.metadata !== null && !isRecord(body.metadata)) {
    throw badRequest('metadata must be an object');
  }
  const spec = body.spec ?? {};
  if (!isRecord(spec)) throw badRequest('spec must be an object');
  const requested = spec.expirationSeconds ?? defaultAdminKubeconfigExpirationSeconds;
  if (typeof requested !== 'number' || !Number.isInteger(requested)) {
    throw badRequest(`spec.expirationSeconds must be an integer number of seconds, not ${JSON.stringify(requested)}`);
  }
  if (requested < minAdminKubeconfigExpirationSeconds) {
    throw invalid(requestKind, shootName, [
      FieldError.invalid('spec.expirationSeconds', requested, 'may not specify a duration less than 10 minutes'),
    ]);
  }
  if (requested > maxRequestableSeconds) {
    throw invalid(requestKind, shootName, [
      FieldError.invalid('spec.expirationSeconds', requested, 'may not specify a duration larger than 2^32 seconds'),
    ]);
  }
  return {
    metadata: isRecord(body.metadata) ? body.metadata : {},
    expirationSeconds: Math.min(requested, maxExpirationSeconds),
  };
}

/**
 * The cluster CAs to trust and the client CA to sign with, from the shoot's ShootState; Conflict
 * when not there yet. During a credentials rotation the kubeconfig trusts the old and the new
 * cluster CA and its certificate is signed by the new client CA (src/shoot/credentials-rotation.ts),
 * so it keeps working once the rotation completes.
 */
async function shootCertificateAuthorities(
  client: Client,
  shoot: Shoot,
): Promise<{ caBundlePem: string; caClient: CertificateAuthority }> {
  const name = shoot.metadata.name!;
  const shootState = await client.resource(shootStateResource).find(shoot.metadata.namespace!, name);
  let secrets: KubeObject[];
  try {
    secrets = shootState ? secretObjectsFromShootState(shootState, '') : [];
  } catch (err) {
    throw internalError(`the ShootState of shoot ${name} is unusable: ${(err as Error).message}`);
  }
  const find = (secretName: string) => secrets.find((s) => s.metadata.name === secretName);
  const caClientSecret = find(ShootSecretName.caClient);
  if (!caClientSecret) throw notReady(name, 'no client CA in its ShootState');
  const caSecret = find(ShootSecretName.ca);
  if (!caSecret) throw notReady(name, 'no cluster CA in its ShootState');
  const successor = (secretName: string) => {
    const found = find(successorSecretName(secretName));
    return found ? certificateAuthorityFromSecret(found) : undefined;
  };
  try {
    const ca = certificateAuthorityFromSecret(caSecret);
    return {
      caBundlePem: bundle(ca, successor(ShootSecretName.ca)),
      caClient: successor(ShootSecretName.caClient) ?? certificateAuthorityFromSecret(caClientSecret),
    };
  } catch (err) {
    throw internalError(`the ShootState of shoot ${name} is unusable: ${(err as Error).message}`);
  }
}

/** The usable `status.advertisedAddresses` in their order, as `https://host[:port]`; Conflict when none. */
function apiServerAddresses(shoot: Shoot): { name: string; server: string }[] {
  const addresses: { name: string; server: string }[] = [];
  for (const address of shoot.status?.advertisedAddresses ?? []) {
    if (!apiServerAddressNames.has(address.name)) continue;
    let url: URL;
    try {
      url = new URL(address.url);
    } catch {
      continue;
    }
    if (url.protocol !== 'https:') continue;
    addresses.push({ name: address.name, server: `https://${url.host}` });
  }
  if (addresses.length === 0) {
    throw notReady(shoot.metadata.name!, 'no https URL for the kube-apiserver in its status.advertisedAddresses');
  }
  return addresses;
}

function notReady(shoot: string, what: string) {
  return conflict(shootsRef, shoot, `the shoot's control plane is not ready yet: ${what}`);
}
