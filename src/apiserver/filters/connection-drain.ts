/**
 * A graceful end of a server's connections, as kube-apiserver's shutdown: the listener is closed
 * first (by the caller), then each connection ends after the answer to the request under way on
 * it (`Connection: close`), and `drain` returns once no short request is left or the grace period
 * is over. A client therefore never sees its request cut: its next one goes on a new connection,
 * to whoever holds the address by then (in a live migration, the destination, which serves the
 * same etcd cluster). An idle kept-alive connection is given a short while to carry one more
 * request (answered with `Connection: close`) before it is closed: closing it at once races with
 * a request its client may be sending on it just then, which HTTP/1.1 cannot retry safely for a
 * write; a client that polls every few tens of milliseconds thus never meets a closed connection.
 * Long-running requests (watches) are not waited for: the caller ends them, and their connections
 * close after their last byte.
 */

import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DrainOptions {
  /** How long the short requests under way may take. */
  graceMs: number;
  /** How long an idle kept-alive connection may still carry one request before it is closed. */
  idleGraceMs: number;
  /** Closes the connections with no request under way (`http.Server.closeIdleConnections`). */
  closeIdleConnections(): void;
}

export class ConnectionDrain {
  /** Every answer under way; true for a long-running one. */
  readonly #responses = new Map<ServerResponse, boolean>();
  /** How many of `#responses` are short: kept, not counted, since every response's close asks. */
  #shortCount = 0;
  #draining = false;
  #settled: (() => void) | undefined;

  get draining(): boolean {
    return this.#draining;
  }

  /** Records an answer under way; a request that comes in while draining ends its connection. */
  track(res: ServerResponse): void {
    this.#responses.set(res, false);
    this.#shortCount++;
    res.once('close', () => {
      if (this.#responses.get(res) === false) this.#shortCount--;
      this.#responses.delete(res);
      if (this.#shortCount === 0) this.#settled?.();
    });
    if (this.#draining) closeConnectionAfter(res);
  }

  /** Marks an answer as long-running (a watch, a stream): `drain` does not wait for it. */
  longRunning(res: ServerResponse): void {
    if (this.#responses.get(res) !== false) return;
    this.#responses.set(res, true);
    this.#shortCount--;
    if (this.#shortCount === 0) this.#settled?.();
  }

  /**
   * Ends each connection after its current answer, the idle ones after `idleGraceMs`, and waits
   * up to `graceMs` for the short requests under way; returns how many were still running then.
   * Draining starts before the first await: a caller may end the long-running requests right
   * after calling this, and their connections then close behind them.
   */
  async drain(options: DrainOptions): Promise<number> {
    this.#draining = true;
    for (const res of this.#responses.keys()) closeConnectionAfter(res);
    const idle = sleep(options.idleGraceMs).then(() => options.closeIdleConnections());
    if (this.#shortCount > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#settled = resolve;
        timer = setTimeout(resolve, options.graceMs);
      });
      clearTimeout(timer);
      this.#settled = undefined;
    }
    await idle;
    return this.#shortCount;
  }
}

/** The connection of `res` ends once `res` is sent: announced in its headers when not sent yet. */
function closeConnectionAfter(res: ServerResponse): void {
  if (!res.headersSent) {
    res.shouldKeepAlive = false;
    return;
  }
  if (res.writableFinished) res.socket?.end();
  else res.once('finish', () => res.socket?.end());
}
