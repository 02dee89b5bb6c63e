/** How a node is known to its shoot: the user `system:node:<name>` in the group `system:nodes`. */

export const NODES_GROUP = 'system:nodes';
const NODE_USER_PREFIX = 'system:node:';

/** The user name of node `name`'s credentials. */
export function nodeUserName(name: string): string {
  return `${NODE_USER_PREFIX}${name}`;
}

/** The node a user is, or undefined for anyone else. */
export function nodeNameOfUser(user: { name: string; groups: readonly string[] }): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  const node = user.name.slice(NODE_USER_PREFIX.length);
  return node === '' ? undefined : node;
}
