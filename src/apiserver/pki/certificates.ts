/**
 * Certificate authorities and the certificates they issue, shaped the way Go's crypto/x509
 * (kubectl, client-go) expects them: ECDSA P-256 keys in PKCS#8 PEM, random positive serial
 * numbers, subject/authority key identifiers, SANs for every name a server answers to, and key
 * usages matching the purpose (k8s client-go `cert.NewSelfSignedCACert`, kubeadm `pkiutil`).
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { webCrypto, x509 } from './x509.js';

/** A certificate with its private key, both PEM (the key PKCS#8). */
export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

/** A CA certificate with the key that signs what it issues. */
export type CertificateAuthority = CertificateAndKey;

/** `server`: serverAuth; `client`: clientAuth; `both`: the two extended key usages. */
export type CertificateUsage = 'server' | 'client' | 'both';

export interface CertificateRequest {
  commonName: string;
  /** Subject O values; the API server maps them to groups for client certificates. */
  organizations?: readonly string[];
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  usage: CertificateUsage;
  /** Lifetime in days; `validitySeconds` wins when both are given. Default 365 days. */
  validityDays?: number;
  validitySeconds?: number;
}

const keyAlgorithm: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const signingAlgorithm: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
/** Certificates start a little in the past so that a peer whose clock lags still accepts them. */
const backdateMs = 5 * 60 * 1000;
const dayMs = 24 * 60 * 60 * 1000;
/** A host name, optionally with a leading wildcard label (`*.example.com`); no ports, no spaces. */
const dnsName = /^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A self-signed CA (basicConstraints CA:true, keyCertSign, cRLSign). */
export async function generateCertificateAuthority(
  commonName: string,
  validityDays = 3650,
): Promise<CertificateAuthority> {
  requireName(commonName);
  const keys = await generateKeyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now - backdateMs),
    notAfter: new Date(now + validityDays * dayMs),
    keys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webCrypto),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
}

/** A leaf certificate signed by `ca`. Server certificates need at least one DNS name or IP. */
export async function issueCertificate(
  ca: CertificateAuthority,
  request: CertificateRequest,
): Promise<CertificateAndKey> {
  requireName(request.commonName);
  const dnsNames = request.dnsNames ?? [];
  const ipAddresses = request.ipAddresses ?? [];
  for (const ip of ipAddresses) {
    if (!isIP(ip)) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
  }
  for (const name of dnsNames) {
    if (!dnsName.test(name)) throw new TypeError(`not a DNS name: ${JSON.stringify(name)}`);
  }
  if (request.usage !== 'client' && dnsNames.length + ipAddresses.length === 0) {
    // Go ignores the common name of server certificates; without SANs nothing would match.
    throw new TypeError('a server certificate needs at least one DNS name or IP address');
  }
  const lifetimeMs =
    request.validitySeconds !== undefined ? request.validitySeconds * 1000 : (request.validityDays ?? 365) * dayMs;
  if (!(lifetimeMs > 0)) throw new TypeError('certificate validity must be positive');

  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importPrivateKey(ca.keyPem);
  const keys = await generateKeyPair();
  const now = Date.now();

  const extendedUsages: string[] = [];
  if (request.usage !== 'client') extendedUsages.push(x509.ExtendedKeyUsage.serverAuth);
  if (request.usage !== 'server') extendedUsages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(extendedUsages, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webCrypto),
    await authorityKeyIdentifier(caCert),
  ];
  if (dnsNames.length + ipAddresses.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }

  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      // One RDN per organization, then the common name: `O=system:masters, CN=admin`.
      subject: [...(request.organizations ?? []).map((o) => ({ O: [o] })), { CN: [request.commonName] }],
      // The CA's own encoded name, so the issuer bytes equal the CA subject bytes exactly.
      issuer: caCert.subjectName,
      notBefore: new Date(now - backdateMs),
      notAfter: new Date(now + lifetimeMs),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: signingAlgorithmFor(caKey),
      extensions,
    },
    webCrypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
}

/** Subject common name and organizations of a PEM certificate (client certificate → user, groups). */
export function parseClientCertificateSubject(certPem: string): { commonName?: string; organizations: string[] } {
  const cert = new x509.X509Certificate(certPem);
  const commonName = cert.subjectName.getField('CN')[0];
  return { ...(commonName !== undefined ? { commonName } : {}), organizations: cert.subjectName.getField('O') };
}

/** Imports a PKCS#8 (or PKCS#1/SEC1) PEM private key as a WebCrypto signing key. EC and RSA keys. */
export async function importPrivateKey(keyPem: string): Promise<CryptoKey> {
  const key = createPrivateKey(keyPem);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const details = key.asymmetricKeyDetails ?? {};
  let algorithm: EcKeyImportParams | RsaHashedImportParams;
  if (key.asymmetricKeyType === 'ec') {
    const namedCurve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[details.namedCurve ?? ''];
    if (!namedCurve) throw new TypeError(`unsupported EC curve ${details.namedCurve}`);
    algorithm = { name: 'ECDSA', namedCurve };
  } else if (key.asymmetricKeyType === 'rsa') {
    algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  } else {
    throw new TypeError(`unsupported private key type ${key.asymmetricKeyType}`);
  }
  return webCrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
}

/** SHA-256 fingerprint of a PEM certificate's DER encoding, lower-case hex. */
export async function certificateFingerprint(certPem: string): Promise<string> {
  const cert = new x509.X509Certificate(certPem);
  return Buffer.from(await cert.getThumbprint('SHA-256', webCrypto)).toString('hex');
}

function signingAlgorithmFor(key: CryptoKey): EcdsaParams | RsaHashedImportParams {
  if (key.algorithm.name === 'ECDSA') {
    const curve = (key.algorithm as EcKeyAlgorithm).namedCurve;
    return { name: 'ECDSA', hash: curve === 'P-521' ? 'SHA-512' : curve === 'P-384' ? 'SHA-384' : 'SHA-256' };
  }
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

async function authorityKeyIdentifier(caCert: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) return new x509.AuthorityKeyIdentifierExtension(ski.keyId, false);
  return x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, webCrypto);
}

function generateKeyPair(): Promise<CryptoKeyPair> {
  return webCrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webCrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/**
 * 128 random bits as a DER INTEGER body: the first byte is 0x01–0x7f, so the number is positive
 * and minimally encoded (Go rejects negative and non-minimal serials).
 */
function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString('hex');
}

function requireName(commonName: string): void {
  if (!commonName) throw new TypeError('a certificate needs a common name');
}
