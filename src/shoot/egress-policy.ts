/**
 * A machine's egress deny list: a file naming, one per line, seeds whose network the machine may
 * not reach (`#` starts a comment) — the firewall of the seed document's second failure mode.
 * It is read at every check, so editing it takes effect at once. The seed behind a connection is
 * known from the TLS handshake (src/shoot/serving-seed.ts): a connection to a denied seed fails
 * there, before anything is sent, whichever of the shoot's endpoints it is for.
 */
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { servingSeedOf } from './serving-seed.js';

export class EgressPolicy {
  readonly #file: string | undefined;

  /** Without a file nothing is denied. */
  constructor(file?: string) {
    this.#file = file;
  }

  denies(seed: string | undefined): seed is string {
    return seed !== undefined && this.#file !== undefined && deniedSeeds(this.#file).has(seed);
  }

  deniedError(seed: string): Error {
    return new Error(`egress to seed ${seed} is denied by ${this.#file}`);
  }

  /**
   * A TLS `checkServerIdentity` that refuses a server of a denied seed and otherwise does the
   * usual host check; `onAccepted` learns which seed the connection goes to.
   */
  serverIdentityCheck(onAccepted: (seed: string | undefined) => void) {
    return (host: string, cert: PeerCertificate): Error | undefined => {
      const seed = servingSeedOf(cert);
      if (this.denies(seed)) return this.deniedError(seed);
      const error = checkServerIdentity(host, cert);
      if (!error) onAccepted(seed);
      return error;
    };
  }
}

/** The seeds a deny file names (none when it does not exist). */
function deniedSeeds(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Set();
  }
  return new Set(
    text
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter((line) => line !== ''),
  );
}
