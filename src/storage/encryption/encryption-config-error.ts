/**
 * Thrown when an `EncryptionConfiguration` cannot be used: the message names the file and the
 * field (`resources[0].providers[1].aesgcm.keys[0].secret: …`), as kube-apiserver's does.
 */
export class EncryptionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionConfigError';
  }
}
