/**
 * A TCP load balancer (haproxy 2.6, Debian's) in front of the garden's replicas: the address in
 * the garden's kubeconfigs. TLS passes through (`mode tcp`); each new connection goes to the next
 * backend that passes its TCP check (`option tcp-check`, every 300 ms, out after 2 failures, back
 * after 1 success), and a connection a dead backend refuses is retried on another (`retries 2`,
 * `option redispatch`), so a replica killed a moment ago costs no request.
 *
 * Files under `dir`: `haproxy.cfg`, `haproxy.pid`. `start` is idempotent: an haproxy running with
 * the same configuration is left alone; one with another configuration is replaced.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../apiserver/pki/atomic-file.js';
import { commandLine, isProcessAlive, terminateProcess } from '../process/processes.js';

export interface HaproxyBackend {
  name: string;
  host: string;
  port: number;
}

export interface HaproxyOptions {
  dir: string;
  /** The address and port it listens on. */
  bind: { host: string; port: number };
  backends: readonly HaproxyBackend[];
  /** Prefixes its command line, e.g. `ip netns exec <ns>`. */
  wrap?: (argv: string[]) => string[];
  /** Default `/usr/sbin/haproxy`. */
  binary?: string;
}

export interface Haproxy {
  readonly configFile: string;
  readonly pidFile: string;
  /** `host:port` of the frontend (`[v6]:port` for IPv6). */
  readonly address: string;
  start(): Promise<void>;
  pid(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** The whole configuration: one TCP frontend, one round-robin backend. */
export function haproxyConfig(options: Pick<HaproxyOptions, 'bind' | 'backends'>): string {
  const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return [
    'global',
    '  maxconn 4096',
    '',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    // Watches stay open for minutes: idle timeouts longer than the API server's watch timeout.
    '  timeout client 10m',
    '  timeout server 10m',
    '  retries 2',
    '  option redispatch',
    '  default-server inter 300ms fall 2 rise 1',
    '',
    'frontend api',
    `  bind ${hostPort(options.bind.host, options.bind.port)}`,
    '  default_backend replicas',
    '',
    'backend replicas',
    '  balance roundrobin',
    '  option tcp-check',
    ...options.backends.map((b) => `  server ${b.name} ${hostPort(b.host, b.port)} check`),
    '',
  ].join('\n');
}

export function haproxy(options: HaproxyOptions): Haproxy {
  const configFile = join(options.dir, 'haproxy.cfg');
  const pidFile = join(options.dir, 'haproxy.pid');
  const { host, port } = options.bind;

  async function pid(): Promise<number | undefined> {
    const value = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(value) || value <= 0 || !isProcessAlive(value)) return undefined;
    // A pid reused by another process is not this haproxy.
    return commandLine(value)?.includes(configFile) ? value : undefined;
  }

  async function stop(): Promise<void> {
    const running = await pid();
    if (running !== undefined) await terminateProcess(running, 5_000);
  }

  return {
    configFile,
    pidFile,
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    pid,
    stop,
    async start() {
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      const config = haproxyConfig(options);
      const current = await readFile(configFile, 'utf8').catch(() => undefined);
      if (current === config && (await pid()) !== undefined) return;
      await stop();
      await writeFileAtomic(configFile, config, 0o600);
      const argv = [options.binary ?? '/usr/sbin/haproxy', '-f', configFile, '-D', '-p', pidFile];
      const [command, ...args] = (options.wrap ?? ((a: string[]) => a))(argv);
      // `-D` forks and returns once the frontend is bound; a bad config or a taken port fails here.
      await promisify(execFile)(command!, args, { timeout: 10_000 }).catch(
        (err: { stderr?: string; message: string }) => {
          throw new Error(`haproxy (${configFile}) did not start: ${err.stderr?.trim() || err.message}`);
        },
      );
    },
  };
}
