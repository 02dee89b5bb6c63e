/**
 * Sends one DNS message to a server and returns the answer with the same ID: over UDP (tried
 * again on silence) and over TCP (RFC 7766: two-byte length prefix) when the message does not
 * fit a 512-byte datagram or the UDP answer came back truncated (TC).
 */
import { createSocket } from 'node:dgram';
import { isIPv6, Socket } from 'node:net';
import { decodeHeader, headerFlags } from './wire.js';

/** A DNS server: an address and a port (53 by default). */
export interface DnsServer {
  host: string;
  port: number;
}

export interface ExchangeOptions {
  /** The whole exchange's limit; default 5 s. */
  timeoutMs?: number;
}

/** The server did not answer in time. */
export class DnsTimeoutError extends Error {
  constructor(server: DnsServer, timeoutMs: number) {
    super(`DNS server ${serverText(server)} did not answer within ${timeoutMs} ms`);
    this.name = 'DnsTimeoutError';
  }
}

export function serverText(server: DnsServer): string {
  return isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/** `host`, `host:port` or `[v6]:port` (Gardener's `Server` key) → a server, port 53 by default. */
export function parseServer(text: string): DnsServer {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1]!, port: Number(v6[2] ?? 53) };
  const [host, port, ...rest] = text.split(':');
  if (!host || rest.length > 0 || (port !== undefined && !/^\d+$/.test(port))) {
    throw new Error(`DNS server ${JSON.stringify(text)} is not host[:port]`);
  }
  return { host, port: Number(port ?? 53) };
}

const UDP_LIMIT = 512;

export async function exchange(server: DnsServer, message: Buffer, options: ExchangeOptions = {}): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  if (message.length <= UDP_LIMIT) {
    const answer = await exchangeUdp(server, message, timeoutMs);
    if (!headerFlags.truncated(decodeHeader(answer).flags)) return answer;
  }
  return exchangeTcp(server, message, Math.max(1, deadline - Date.now()), timeoutMs);
}

/** UDP: the datagram is sent again every second until an answer with the message's ID arrives. */
function exchangeUdp(server: DnsServer, message: Buffer, timeoutMs: number): Promise<Buffer> {
  const id = message.readUInt16BE(0);
  const socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const done = (err: Error | undefined, answer?: Buffer) => {
      clearInterval(resend);
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(answer!);
    };
    const send = () => socket.send(message, server.port, server.host, (err) => err && done(err));
    const resend = setInterval(send, 1_000);
    const timer = setTimeout(() => done(new DnsTimeoutError(server, timeoutMs)), timeoutMs);
    socket.on('error', (err) => done(err));
    socket.on('message', (answer) => {
      if (answer.length >= 12 && answer.readUInt16BE(0) === id) done(undefined, answer);
    });
    send();
  });
}

function exchangeTcp(server: DnsServer, message: Buffer, remainingMs: number, timeoutMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = new Socket();
    let buffered = Buffer.alloc(0);
    const done = (err: Error | undefined, answer?: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const timer = setTimeout(() => done(new DnsTimeoutError(server, timeoutMs)), remainingMs);
    socket.on('error', (err) => done(new Error(`DNS server ${serverText(server)} over TCP: ${err.message}`)));
    socket.on('close', () =>
      done(new Error(`DNS server ${serverText(server)} closed the TCP connection without an answer`)),
    );
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length >= 2 + length) done(undefined, buffered.subarray(2, 2 + length));
    });
    socket.connect(server.port, server.host, () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(message.length, 0);
      socket.write(Buffer.concat([prefix, message]));
    });
  });
}
