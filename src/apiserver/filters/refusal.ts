/**
 * A request a limit refused before it was served (413 for a body over the limit, 429 for too many
 * requests or watches): the server reports each through one listener, e.g. for an audit log.
 */
import type { Status, StatusError } from '../../api/errors.js';
import type { UserInfo } from '../types.js';

export interface Refusal {
  method: string;
  /** The request's path and query, as sent. */
  uri: string;
  /** Undefined when the request was refused before it was authenticated. */
  user: UserInfo | undefined;
  status: Status;
}

export type RefusalListener = (refusal: Refusal) => void;

const refusalCodes = new Set([413, 429]);

/** Whether an error answer is a limit's refusal rather than a failure of the request itself. */
export function isRefusal(err: StatusError): boolean {
  return refusalCodes.has(err.status.code);
}
