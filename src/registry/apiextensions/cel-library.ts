/**
 * Kubernetes' CEL libraries for `x-kubernetes-validations`, bound into the CEL environment: the
 * list functions (`isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`), regular expressions
 * (`find`, `findAll`), URLs (`isURL`, `url(…).getScheme()` …), resource quantities
 * (`isQuantity`, `quantity(…)` with comparisons and arithmetic) and IP addresses and CIDRs
 * (`isIP`, `ip(…).family()`, `isCIDR`, `cidr(…).containsIP(…)` …). cel-js supplies the standard
 * library and the strings extension.
 */

import { BlockList, isIP } from 'node:net';
import { Environment } from '@marcbachmann/cel-js';
import { parseQuantity, QUANTITY_PATTERN } from '../../api/quantity.js';

/** A resource quantity (`500m`, `1Gi`, `2e3`) as its numeric value. */
class Quantity {
  constructor(readonly value: number) {}
}

class Url {
  constructor(readonly url: URL) {}
}

function quantity(text: string): Quantity {
  const value = parseQuantity(text);
  if (value === undefined) throw new Error(`quantities must match the regular expression '${QUANTITY_PATTERN}'`);
  return new Quantity(value);
}

function url(text: string): Url {
  if (!URL.canParse(text) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(text))
    throw new Error(`URL parse error during conversion from string: ${text}`);
  return new Url(new URL(text));
}

function integral(value: number): bigint {
  if (!Number.isSafeInteger(value)) throw new Error('cannot convert value to integer');
  return BigInt(value);
}

/** An IP address (Kubernetes' `ip(…)`). */
class Ip {
  constructor(
    readonly address: string,
    readonly family: 4 | 6,
  ) {}
}

/** A CIDR (Kubernetes' `cidr(…)`). */
class Cidr {
  constructor(
    readonly ip: Ip,
    readonly prefix: number,
  ) {}
}

function ip(text: string): Ip {
  const family = isIP(text);
  // Kubernetes' ip() refuses zones and IPv4-mapped IPv6 addresses.
  if (family === 0 || text.includes('%') || /^::ffff:/i.test(text)) throw new Error(`IP Address '${text}' parse error`);
  return new Ip(text, family as 4 | 6);
}

function cidr(text: string): Cidr {
  const [address = '', prefix = '', ...rest] = text.split('/');
  const length = Number(prefix);
  const parsed = rest.length === 0 && /^\d+$/.test(prefix) ? ip(address) : undefined;
  if (!parsed || length > (parsed.family === 4 ? 32 : 128))
    throw new Error(`network address parse error during conversion from string: ${text}`);
  return new Cidr(parsed, length);
}

function cidrContains(range: Cidr, address: Ip): boolean {
  if (range.ip.family !== address.family) return false;
  const list = new BlockList();
  list.addSubnet(range.ip.address, range.prefix, range.ip.family === 4 ? 'ipv4' : 'ipv6');
  return list.check(address.address, address.family === 4 ? 'ipv4' : 'ipv6');
}

/** A CEL environment with Kubernetes' libraries. */
export function kubernetesCelEnvironment(): Environment {
  const env = new Environment({
    unlistedVariablesAreDyn: true,
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
  });
  const less = (a: unknown, b: unknown) => (a as number) < (b as number);
  env.registerFunction('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || !less(x, l[i - 1])));
  env.registerFunction('list.sum(): dyn', (l: unknown[]) =>
    l.reduce((a, b) => (a as number) + (b as number), typeof l[0] === 'number' ? 0 : 0n),
  );
  env.registerFunction('list.min(): dyn', (l: unknown[]) => l.reduce((a, b) => (less(b, a) ? b : a)));
  env.registerFunction('list.max(): dyn', (l: unknown[]) => l.reduce((a, b) => (less(a, b) ? b : a)));
  env.registerFunction('list.indexOf(dyn): int', (l: unknown[], x: unknown) => BigInt(l.indexOf(x)));
  env.registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], x: unknown) => BigInt(l.lastIndexOf(x)));

  env.registerFunction('string.find(string): string', (s: string, re: string) => new RegExp(re).exec(s)?.[0] ?? '');
  env.registerFunction('string.findAll(string): list<string>', (s: string, re: string) =>
    [...s.matchAll(new RegExp(re, 'g'))].map((m) => m[0]),
  );
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, re: string, n: bigint) =>
    [...s.matchAll(new RegExp(re, 'g'))].map((m) => m[0]).slice(0, n < 0n ? undefined : Number(n)),
  );

  env.registerType('URL', Url);
  env.registerFunction('isURL(string): bool', (s: string) => canParse(() => url(s)));
  env.registerFunction('url(string): URL', url);
  env.registerFunction('URL.getScheme(): string', (u: Url) => u.url.protocol.replace(/:$/, ''));
  env.registerFunction('URL.getHost(): string', (u: Url) => u.url.host);
  env.registerFunction('URL.getHostname(): string', (u: Url) => u.url.hostname.replace(/^\[(.*)\]$/, '$1'));
  env.registerFunction('URL.getPort(): string', (u: Url) => u.url.port);
  env.registerFunction('URL.getEscapedPath(): string', (u: Url) => u.url.pathname);
  env.registerFunction('URL.getQuery(): map', (u: Url) => {
    const query: Record<string, string[]> = {};
    for (const key of new Set(u.url.searchParams.keys())) query[key] = u.url.searchParams.getAll(key);
    return query;
  });

  env.registerType('Quantity', Quantity);
  env.registerFunction('isQuantity(string): bool', (s: string) => parseQuantity(s) !== undefined);
  env.registerFunction('quantity(string): Quantity', quantity);
  env.registerFunction('Quantity.isInteger(): bool', (q: Quantity) => Number.isSafeInteger(q.value));
  env.registerFunction('Quantity.asInteger(): int', (q: Quantity) => integral(q.value));
  env.registerFunction('Quantity.asApproximateFloat(): double', (q: Quantity) => q.value);
  env.registerFunction('Quantity.sign(): int', (q: Quantity) => BigInt(Math.sign(q.value)));
  env.registerFunction(
    'Quantity.add(Quantity): Quantity',
    (a: Quantity, b: Quantity) => new Quantity(a.value + b.value),
  );
  env.registerFunction('Quantity.add(int): Quantity', (a: Quantity, b: bigint) => new Quantity(a.value + Number(b)));
  env.registerFunction(
    'Quantity.sub(Quantity): Quantity',
    (a: Quantity, b: Quantity) => new Quantity(a.value - b.value),
  );
  env.registerFunction('Quantity.sub(int): Quantity', (a: Quantity, b: bigint) => new Quantity(a.value - Number(b)));
  env.registerFunction('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.value < b.value);
  env.registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.value > b.value);
  env.registerFunction('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) =>
    BigInt(Math.sign(a.value - b.value)),
  );

  env.registerType('net.IP', Ip);
  env.registerType('net.CIDR', Cidr);
  env.registerFunction('isIP(string): bool', (s: string) => canParse(() => ip(s)));
  env.registerFunction('ip(string): net.IP', ip);
  env.registerFunction('net.IP.family(): int', (a: Ip) => BigInt(a.family));
  env.registerFunction('net.IP.isLoopback(): bool', (a: Ip) =>
    cidrContains(cidr(a.family === 4 ? '127.0.0.0/8' : '::1/128'), a),
  );
  env.registerFunction('net.IP.isUnspecified(): bool', (a: Ip) => a.address === '0.0.0.0' || a.address === '::');
  env.registerFunction('isCIDR(string): bool', (s: string) => canParse(() => cidr(s)));
  env.registerFunction('cidr(string): net.CIDR', cidr);
  env.registerFunction('net.CIDR.ip(): net.IP', (c: Cidr) => c.ip);
  env.registerFunction('net.CIDR.prefixLength(): int', (c: Cidr) => BigInt(c.prefix));
  env.registerFunction('net.CIDR.containsIP(string): bool', (c: Cidr, a: string) => cidrContains(c, ip(a)));
  env.registerFunction('net.CIDR.containsIP(net.IP): bool', cidrContains);
  env.registerFunction('net.CIDR.containsCIDR(string): bool', (c: Cidr, other: string) => {
    const inner = cidr(other);
    return inner.prefix >= c.prefix && cidrContains(c, inner.ip);
  });
  return env;
}

function canParse(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}
