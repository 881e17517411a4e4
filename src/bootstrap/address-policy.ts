import { isIP } from 'node:net';

/**
 * Which addresses a jar download may reach. By default only public ones: a FlinkJob's jarURI is
 * user input, and a bootstrap pod must not become a way to reach cloud metadata endpoints
 * (169.254.169.254), the API server, or other pods. Configuration can allow private networks.
 */
function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

const V4_BLOCKED: readonly [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

export function classifyAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) {
    const value = ipv4ToInt(address);
    for (const [base, bits, label] of V4_BLOCKED) {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      if ((value & mask) === (ipv4ToInt(base) & mask)) return label;
    }
    return undefined;
  }
  if (family === 6) {
    const a = address.toLowerCase();
    if (a === '::' || a === '::1') return a === '::' ? 'unspecified' : 'loopback';
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    if (mapped?.[1]) return classifyAddress(mapped[1]);
    if (/^fe[89ab]/.test(a)) return 'link-local';
    if (/^f[cd]/.test(a)) return 'unique local';
    if (a.startsWith('ff')) return 'multicast';
    return undefined;
  }
  return 'not an IP address';
}

export class AddressRefusedError extends Error {}

/** Throws unless every address is public, or private networks are allowed by configuration. */
export function checkAddresses(host: string, addresses: readonly string[], allowPrivate: boolean): void {
  if (allowPrivate) return;
  for (const address of addresses) {
    const why = classifyAddress(address);
    if (why) {
      throw new AddressRefusedError(
        `refusing to download from ${host}: it resolves to ${address} (${why}); set --allow-private-networks to allow it`,
      );
    }
  }
}
