/**
 * Client certificate authentication (k8s `x509.CommonNameUserConversion`): the verified leaf's
 * subject CN is the user name and each O a group. The server sets `clientCertificate` only
 * when the TLS handshake verified the chain against the client CA.
 */
import type { AuthenticationRequest, Authenticator, UserInfo } from '../types.js';
import { authenticatedUser } from './authenticated-user.js';

export class ClientCertificateAuthenticator implements Authenticator {
  async authenticate(req: AuthenticationRequest): Promise<UserInfo | null> {
    const subject = req.clientCertificate?.subject;
    if (!subject?.CN) return null;
    const organizations = subject.O === undefined ? [] : Array.isArray(subject.O) ? subject.O : [subject.O];
    return authenticatedUser({ name: subject.CN, groups: organizations.filter((o) => o !== '') });
  }
}
