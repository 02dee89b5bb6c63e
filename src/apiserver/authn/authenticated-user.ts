/**
 * What every authenticator returns for a successful login: the user with the groups it was
 * given plus `system:authenticated`, de-duplicated (k8s `group.AuthenticatedGroupAdder`).
 */
import type { UserInfo } from '../types.js';

export const authenticatedGroup = 'system:authenticated';

export function authenticatedUser(user: { name: string; uid?: string; groups?: readonly string[] }): UserInfo {
  const groups = [...new Set([...(user.groups ?? []), authenticatedGroup])];
  return { name: user.name, ...(user.uid ? { uid: user.uid } : {}), groups };
}
