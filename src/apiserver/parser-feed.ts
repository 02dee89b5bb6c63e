/**
 * A fix for connection resets under load (`read ECONNRESET` in the client, `aborted` in the
 * server's log): Node 20's HTTP server hands the bytes of a TLS connection to its HTTP parser in
 * C++ (a "consumed" stream). When a request's headers arrive while the previous response on that
 * connection is still being written (a client that sent its next request as soon as it had read
 * the previous answer, before the server saw its write complete), the server pauses the socket
 * and the parser, its guard against pipelined floods. The TLS layer still hands the paused parser
 * the rest of the records it decrypted from the same read, the parser fails them with
 * `HPE_PAUSED`, and the server destroys the connection in the middle of the request's body.
 *
 * With a `data` listener on the socket Node feeds the parser from JavaScript instead, where a
 * paused socket stops delivering data at once and the request goes on when the response drained.
 */
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';

/** Makes `server` feed each connection's HTTP parser from JavaScript. Call after creating it. */
export function feedParsersFromJs(server: Server): void {
  // Node's own listener, registered when the server was created, runs first: it sets the parser up
  // and wraps `socket.on`, so that adding a `data` listener now takes the stream back from C++.
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.on('data', ignore);
  });
}

function ignore(): void {}
