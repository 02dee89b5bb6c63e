/**
 * A TCP relay on loopback that passes what the target sends back at most `bytesPerSecond` (a
 * token bucket refilled every 10 ms, a twentieth of a second's worth at most), and what clients
 * send at once. In front of an etcd member's peer port it is a link of that bandwidth from the
 * member to whoever dials it (a learner's raft streams), the way seeds on hosts of their own are
 * linked. `bytesPerSecond` 0: no limit (the relay alone, for comparison).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface PacedRelay {
  port: number;
  close(): Promise<void>;
}

export async function startPacedRelay(targetPort: number, bytesPerSecond: number): Promise<PacedRelay> {
  const burst = bytesPerSecond / 20;
  let tokens = burst;
  const waiting: Socket[] = [];
  const sockets = new Set<Socket>();
  const refill = setInterval(() => {
    tokens = Math.min(burst, tokens + bytesPerSecond / 100);
    while (tokens > 0 && waiting.length > 0) waiting.shift()?.resume();
  }, 10);
  const server: Server = createServer((client) => {
    const target = createConnection(targetPort, '127.0.0.1');
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        target.destroy();
      });
      socket.once('close', () => sockets.delete(socket));
    }
    client.pipe(target);
    if (bytesPerSecond === 0) {
      target.pipe(client);
      return;
    }
    target.on('data', (chunk: Buffer) => {
      tokens -= chunk.length;
      client.write(chunk);
      if (tokens < 0) {
        target.pause();
        waiting.push(target);
      }
    });
    target.once('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      clearInterval(refill);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
