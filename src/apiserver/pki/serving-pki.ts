/**
 * The API server's own PKI on disk: a CA generated once and kept for good (every kubeconfig
 * handed out trusts it), and a serving certificate it signs for the loopback addresses plus
 * the configured hosts, renewed when the hosts change or it nears expiry.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import {
  type CertificateAndKey,
  type CertificateAuthority,
  generateCertificateAuthority,
  issueCertificate,
} from './certificates.js';
import { x509 } from './x509.js';

export interface ServingPkiOptions {
  /** DNS names and IP addresses the server is reached at, beyond 127.0.0.1, ::1 and localhost. */
  hosts: readonly string[];
  /** Common name of a newly generated CA. Default `transplant-ca`. */
  caCommonName?: string;
  /** Common name of the serving certificate. Default `transplant-apiserver`. */
  commonName?: string;
}

export interface ServingPkiFiles {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
}

export interface ServingPki {
  ca: CertificateAuthority;
  serving: CertificateAndKey;
  files: ServingPkiFiles;
  /** What this call generated (as opposed to loaded), for a startup log line. */
  generated: { ca: boolean; serving: boolean };
}

/** Names every serving certificate carries. */
export const loopbackHosts: readonly string[] = Object.freeze(['127.0.0.1', '::1', 'localhost']);

const caValidityDays = 3650;
const servingValidityDays = 365;
/** A serving certificate expiring sooner than this is reissued at startup. */
const renewBeforeMs = 30 * 24 * 60 * 60 * 1000;

/** Where `ensureServingPki` keeps its files inside `dir`. */
export function servingPkiFiles(dir: string): ServingPkiFiles {
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
  };
}

/**
 * Loads the CA and serving certificate from `dir`, creating what is missing. An existing CA is
 * never replaced: a `ca.crt` without its key, or with a key that does not match, is an error.
 * Keys are written before certificates, each atomically with mode 0600, so an interrupted run
 * leaves at worst a key without a matching certificate, which the next run replaces.
 */
export async function ensureServingPki(dir: string, options: ServingPkiOptions): Promise<ServingPki> {
  const files = servingPkiFiles(dir);
  const hosts = servingHosts(options.hosts);

  let ca: CertificateAuthority;
  let caGenerated = false;
  const caCertPem = await readIfExists(files.caCert);
  if (caCertPem !== undefined) {
    const caKeyPem = await readIfExists(files.caKey);
    if (caKeyPem === undefined) {
      throw new Error(`${files.caCert} exists but ${files.caKey} is missing; refusing to replace the CA`);
    }
    if (!keyMatches(caCertPem, caKeyPem)) {
      throw new Error(`${files.caKey} does not belong to ${files.caCert}; refusing to replace the CA`);
    }
    ca = { certPem: caCertPem, keyPem: caKeyPem };
  } else {
    ca = await generateCertificateAuthority(options.caCommonName ?? 'transplant-ca', caValidityDays);
    await writeFileAtomic(files.caKey, ca.keyPem, 0o600);
    // Certificates are public, but the rule for a state directory is simply: nothing for group or others.
    await writeFileAtomic(files.caCert, ca.certPem);
    caGenerated = true;
  }

  let serving: CertificateAndKey | undefined;
  if (!caGenerated) {
    const certPem = await readIfExists(files.servingCert);
    const keyPem = await readIfExists(files.servingKey);
    if (certPem !== undefined && keyPem !== undefined && servingCertificateUsable(certPem, keyPem, ca.certPem, hosts)) {
      serving = { certPem, keyPem };
    }
  }
  let servingGenerated = false;
  if (!serving) {
    serving = await issueServingCertificate(ca, options);
    await writeFileAtomic(files.servingKey, serving.keyPem, 0o600);
    await writeFileAtomic(files.servingCert, serving.certPem);
    servingGenerated = true;
  }
  return { ca, serving, files, generated: { ca: caGenerated, serving: servingGenerated } };
}

/**
 * A fresh serving certificate signed by `ca` for the loopback names plus `options.hosts` (kept in
 * memory only: replicas sharing a CA in their store each issue their own at startup).
 */
export function issueServingCertificate(
  ca: CertificateAuthority,
  options: Omit<ServingPkiOptions, 'caCommonName'>,
): Promise<CertificateAndKey> {
  const hosts = servingHosts(options.hosts);
  return issueCertificate(ca, {
    commonName: options.commonName ?? 'transplant-apiserver',
    dnsNames: hosts.filter((h) => !isIP(h)),
    ipAddresses: hosts.filter((h) => isIP(h)),
    usage: 'server',
    validityDays: servingValidityDays,
  });
}

/** The loopback names plus `hosts`, normalised (lower-case DNS, canonical IPs) and de-duplicated. */
function servingHosts(hosts: readonly string[]): string[] {
  const all = [...loopbackHosts, ...hosts].map((h) => h.trim()).filter((h) => h !== '');
  return [...new Set(all.map(normalizeHost))];
}

function normalizeHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  switch (isIP(bare)) {
    case 4:
      return bare;
    case 6:
      // The WHATWG URL parser prints IPv6 in RFC 5952 canonical form (`::1`).
      return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
    default:
      return bare.toLowerCase();
  }
}

/** Issued by this CA, key matching, names exactly `hosts`, and not expiring within 30 days. */
function servingCertificateUsable(certPem: string, keyPem: string, caCertPem: string, hosts: string[]): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const caCert = new X509Certificate(caCertPem);
    if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return false;
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return false;
    if (Date.parse(cert.validTo) - Date.now() < renewBeforeMs) return false;
    const san = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
    const names = (san?.names.toJSON() ?? [])
      .filter((n) => n.type === 'dns' || n.type === 'ip')
      .map((n) => normalizeHost(n.value));
    return sameSet(names, hosts);
  } catch {
    return false;
  }
}

function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
