/**
 * Pod addresses from the node's pod CIDR (`spec.podCIDR`, IPv4), as a CNI's host-local IPAM hands
 * them out: the network and the first address (the node's bridge) are never given, and an address
 * goes to one pod at a time. Which pod has which address is read back from the pods' own status,
 * so nothing is kept outside the API: a restarted node agent finds the same addresses taken.
 */

function toNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The range of `cidr` (`a.b.c.d/len`), or undefined when it is not an IPv4 CIDR. */
export function parseCidr(cidr: string): { base: number; size: number } | undefined {
  const [ip, length] = cidr.split('/');
  const base = toNumber(ip ?? '');
  const bits = Number(length);
  if (base === undefined || !Number.isInteger(bits) || bits < 8 || bits > 30) return undefined;
  const size = 2 ** (32 - bits);
  return { base: base - (base % size), size };
}

/**
 * The `n`th subnet of length `prefix` inside `cidr` (`/32`: the `n`th address, as `a.b.c.d/32`);
 * undefined when `cidr` is not IPv4 or too small for it.
 */
export function subnetAt(cidr: string, prefix: number, n: number): string | undefined {
  const [ip, length] = cidr.split('/');
  const base = toNumber(ip ?? '');
  const bits = Number(length);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > prefix) return undefined;
  const size = 2 ** (32 - prefix);
  if (n < 0 || (n + 1) * size > 2 ** (32 - bits)) return undefined;
  const network = base - (base % 2 ** (32 - bits));
  return `${toIp(network + n * size)}/${prefix}`;
}

/** The lowest free pod address of `cidr` not in `taken`; undefined when the range is full or not IPv4. */
export function allocatePodIp(cidr: string, taken: ReadonlySet<string>): string | undefined {
  const range = parseCidr(cidr);
  if (!range) return undefined;
  // .0 is the network, .1 the node's bridge, the last one the broadcast address.
  for (let offset = 2; offset < range.size - 1; offset++) {
    const ip = toIp(range.base + offset);
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}
