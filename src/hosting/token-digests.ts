/**
 * Bearer-token digests kept in the API server's own store, for replicas that share one store (the
 * garden on etcd): each token is a Secret in kube-system of type `transplant.io/token-digest`
 * holding the token's SHA-256 and its user — never the token, which exists only in the kubeconfig
 * it was written to (as Kubernetes keeps bootstrap tokens as Secrets in kube-system, but hashed).
 *
 * `StoredTokenDigests` follows those Secrets through an informer, so a token issued through one
 * replica works on every other one at once; a token it does not know yet (issued a moment ago,
 * the watch event still on its way) makes it list them again before it answers Unauthorized.
 * `reissueToken` writes through any client: the in-process one, or the operator's kubeconfig when
 * `transplant up` issues a seed's credentials from another host.
 */
import { secretResource, secretValue } from '../api/core/secret.js';
import type { KubeObject } from '../api/meta.js';
import { TokenAuthenticator } from '../apiserver/authn/token-authenticator.js';
import { createToken, hashToken, type TokenEntry, type TokenUser } from '../apiserver/authn/token-file.js';
import type { AuthenticationRequest, Authenticator, UserInfo } from '../apiserver/types.js';
import type { Client } from '../client/client.js';
import { Informer } from '../controller/informer.js';
import { clientListWatch } from '../controller/list-watch.js';

export const tokenDigestSecretType = 'transplant.io/token-digest';
/** The label that selects the token-digest Secrets (a field selector on `type` is not served). */
export const tokenDigestLabel = 'transplant.io/token-digest';
export const tokenDigestNamespace = 'kube-system';
const namespace = tokenDigestNamespace;
export const tokenDigestSelector = { labelSelector: `${tokenDigestLabel}=true` };
const selector = tokenDigestSelector;

/**
 * The Secret recording `token` for `user`; named after the digest (a name says nothing about the
 * token), by default `token-<32 hex digits>`, or `<prefix>-<8 hex digits>` with extra labels for
 * credentials an operator looks at by name (a seed's).
 */
export function tokenDigestSecret(
  token: string,
  user: TokenUser,
  options: { namePrefix?: string; labels?: Record<string, string> } = {},
): KubeObject {
  const sha256 = hashToken(token);
  const name = options.namePrefix ? `${options.namePrefix}-${sha256.slice(0, 8)}` : `token-${sha256.slice(0, 32)}`;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { ...options.labels, [tokenDigestLabel]: 'true' } },
    type: tokenDigestSecretType,
    data: {
      sha256: Buffer.from(sha256).toString('base64'),
      user: Buffer.from(JSON.stringify(user)).toString('base64'),
    },
  };
}

/** The entry a token-digest Secret records; undefined for a Secret that is not one (or is malformed). */
export function tokenEntryOf(secret: KubeObject): TokenEntry | undefined {
  if (secret.type !== tokenDigestSecretType) return undefined;
  const decode = (key: string) => secretValue(secret, key) ?? '';
  const sha256 = decode('sha256');
  if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  try {
    const user = JSON.parse(decode('user')) as TokenUser;
    if (typeof user?.name !== 'string' || user.name === '') return undefined;
    const groups = Array.isArray(user.groups) ? user.groups.filter((g) => typeof g === 'string') : [];
    return { sha256, user: { name: user.name, ...(user.uid ? { uid: String(user.uid) } : {}), groups } };
  } catch {
    return undefined;
  }
}

/**
 * Revokes every stored token of `user.name` and issues a new one through `client` (which must be
 * allowed to manage Secrets in kube-system); returns the token for the caller's kubeconfig.
 */
export async function reissueToken(client: Client, user: TokenUser): Promise<string> {
  const secrets = client.resource(secretResource);
  for (const secret of (await secrets.list(namespace, selector)).items) {
    if (tokenEntryOf(secret)?.user.name === user.name) {
      await secrets.deleteIfPresent(namespace, secret.metadata.name ?? '');
    }
  }
  return issueStoredToken(client, user);
}

/** Issues one more token for `user` through `client`, keeping the user's other tokens. */
export async function issueStoredToken(client: Client, user: TokenUser): Promise<string> {
  const token = createToken();
  await client.resource(secretResource).create(namespace, tokenDigestSecret(token, user));
  return token;
}

/** Whether `token` is recorded in the store now (a fresh read, not the informer's copy). */
export async function tokenIsStored(client: Client, token: string): Promise<boolean> {
  const name = tokenDigestSecret(token, { name: '-' }).metadata.name ?? '';
  const secret = await client.resource(secretResource).find(namespace, name);
  return !!secret && tokenEntryOf(secret)?.sha256 === hashToken(token);
}

/** An authenticator over the token-digest Secrets of the store `client` reads. */
export class StoredTokenDigests implements Authenticator {
  readonly #client: Client;
  readonly #tokens = new TokenAuthenticator([]);
  readonly #entries = new Map<string, TokenEntry>();
  #informer: Informer | undefined;
  /** The re-list a miss waits for; one more is queued behind a running one, never more. */
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  /**
   * Digests whose Secrets the watch saw deleted. Tokens are random, so a digest never comes back
   * but through a Secret created again, which the watch reports (and is then forgotten here).
   */
  readonly #deleted = new Set<string>();

  readonly #onListError: ((err: unknown) => void) | undefined;

  /**
   * `client` may be an in-process client whose server does not exist yet: it is used from `start`
   * on. `onListError` hears of a first list that failed (see `start`).
   */
  constructor(client: Client, onListError?: (err: unknown) => void) {
    this.#client = client;
    this.#onListError = onListError;
  }

  /** Starts following the Secrets; resolves once the first list is in. */
  async start(): Promise<void> {
    this.#informer = new Informer(clientListWatch(this.#client, secretResource, namespace, selector), {
      replace: (objects) => this.#replace(objects),
      upsert: (obj) => {
        this.#deleted.delete(tokenEntryOf(obj)?.sha256 ?? '');
        this.#upsert(obj);
      },
      remove: (obj) => {
        const entry = tokenEntryOf(obj);
        if (entry) this.#deleted.add(entry.sha256);
        this.#entries.delete(obj.metadata.name ?? '');
        this.#publish();
      },
    });
    this.#informer.start();
    if (this.#onListError) {
      // The digests are Secrets, encrypted at rest like all: one that does not decrypt with the
      // configured keys (a key removed before its rewrite) must not keep the server from serving
      // the tokens of its file and answering reads with the error that names the key. The
      // informer keeps trying; these tokens count once it succeeds.
      try {
        await this.#client.resource(secretResource).list(namespace, selector);
      } catch (err) {
        this.#onListError(err);
        return;
      }
    }
    await this.#informer.synced();
  }

  stop(): void {
    this.#informer?.stop();
  }

  onRevoked(listener: (credentialIds: readonly string[]) => void): void {
    this.#tokens.onRevoked(listener);
  }

  async authenticate(req: AuthenticationRequest): Promise<UserInfo | null> {
    try {
      return await this.#tokens.authenticate(req);
    } catch (err) {
      // Unknown here yet: perhaps issued through another replica a moment ago.
      await this.#relist();
      return this.#tokens.authenticate(req).catch(() => Promise.reject(err));
    }
  }

  #relist(): Promise<void> {
    this.#queued ??= (this.#running ?? Promise.resolve()).then(() => {
      this.#queued = undefined;
      this.#running = this.#client
        .resource(secretResource)
        .list(namespace, selector)
        // A list begun before a deletion may answer after its watch event: it must not bring
        // a revoked token back, so digests deleted meanwhile are left out.
        .then((list) => this.#replace(list.items.filter((obj) => !this.#deleted.has(tokenEntryOf(obj)?.sha256 ?? ''))))
        .catch(() => undefined)
        .finally(() => {
          this.#running = undefined;
        });
      return this.#running;
    });
    return this.#queued;
  }

  #replace(objects: readonly KubeObject[]): void {
    this.#entries.clear();
    for (const obj of objects) this.#upsert(obj, false);
    this.#publish();
  }

  #upsert(obj: KubeObject, publish = true): void {
    const entry = tokenEntryOf(obj);
    if (entry) this.#entries.set(obj.metadata.name ?? '', entry);
    else this.#entries.delete(obj.metadata.name ?? '');
    if (publish) this.#publish();
  }

  #publish(): void {
    this.#tokens.setEntries([...this.#entries.values()]);
  }
}
