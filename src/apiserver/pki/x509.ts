/**
 * The one entry point to @peculiar/x509: installs the Reflect shim it needs and points it at
 * Node's WebCrypto. Every other file imports `x509` from here, never from the package.
 */
import './reflect-metadata-shim.js';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** Node's WebCrypto, typed as the global `Crypto` @peculiar/x509 expects. */
export const webCrypto = webcrypto as unknown as Crypto;

x509.cryptoProvider.set(webCrypto);

export { x509 };
