/**
 * Thrown when a persisted secret of a shoot (in the control-plane namespace or in the ShootState)
 * exists but cannot be used: a missing data key, bad base64, an unparsable certificate or key, a
 * key that does not belong to its certificate. The message names the secret and the data key,
 * never the secret's content.
 */
export class MalformedSecretError extends Error {
  /** The secret's name, e.g. `ca-client`. */
  readonly secretName: string;

  constructor(secretName: string, detail: string) {
    super(`persisted secret ${JSON.stringify(secretName)} is malformed: ${detail}`);
    this.name = 'MalformedSecretError';
    this.secretName = secretName;
  }
}
