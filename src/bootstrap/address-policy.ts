import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses a jar download may reach. By default only public ones: a FlinkJob's jarURI is
 * user input, and a bootstrap pod must not become a way to reach cloud metadata endpoints
 * (169.254.169.254), the API server, or other pods. Configuration can allow private networks.
 *
 * The policy is an allow-list: an address passes only when ipaddr.js names its range `unicast`
 * (every special-purpose block of the IANA registries has another name) and, for IPv6, it lies in
 * the global unicast space 2000::/3. IPv6 forms that carry an IPv4 address are unwrapped first:
 * IPv4-mapped (::ffff:0:0/96) and well-known-prefix NAT64 (64:ff9b::/96) addresses pass only when
 * the IPv4 inside does; the other translation and tunnelling forms are refused whatever they carry.
 */

/** Readable names for ipaddr.js's range names (IPv4 and IPv6). */
const RANGE_LABELS: Readonly<Record<string, string>> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  reserved: 'reserved (IETF protocol assignments, documentation, benchmarking or future use)',
  as112: 'AS112 DNS sink',
  as112v6: 'AS112 DNS sink',
  amt: 'AMT relay anycast',
  uniqueLocal: 'unique local',
  deprecatedSiteLocal: 'site-local (deprecated)',
  discard: 'discard-only',
  benchmarking: 'benchmarking',
  deprecatedOrchid: 'ORCHID (deprecated)',
  orchid2: 'ORCHIDv2',
  droneRemoteIdProtocolEntityTags: 'drone remote ID entity tags',
  segmentRouting: 'SRv6 SIDs',
};

function label(range: string): string {
  return RANGE_LABELS[range] ?? range;
}

function ipv4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function classifyIPv4(address: ipaddr.IPv4): string | undefined {
  const range: string = address.range();
  return range === 'unicast' ? undefined : label(range);
}

/** The reason an embedded IPv4 address is refused, phrased for an outer IPv6 address. */
function embedded(kind: string, inner: ipaddr.IPv4): string | undefined {
  const why = classifyIPv4(inner);
  return why ? `${kind} address of ${inner.toString()}, which is ${why}` : undefined;
}

function classifyIPv6(address: ipaddr.IPv6, spelling: string): string | undefined {
  const p = address.parts as [number, number, number, number, number, number, number, number];
  // ipaddr.js reads `::a.b.c.d` as IPv4-mapped; it is the (deprecated) IPv4-compatible form.
  if (/^::\d+\.\d+\.\d+\.\d+$/.test(spelling)) {
    return `IPv4-compatible (deprecated by RFC 4291) address of ${ipv4FromParts(p[6], p[7]).toString()}; refused whatever it carries`;
  }
  const range: string = address.range();
  switch (range) {
    case 'unicast':
      break;
    case 'ipv4Mapped':
      return embedded('IPv4-mapped', address.toIPv4Address());
    case 'rfc6052':
      // 64:ff9b::/96 (RFC 6052) may only carry global IPv4 addresses: what DNS64 clusters return
      // for public hosts. The local-use prefix 64:ff9b:1::/48 (RFC 8215) may carry anything, at an
      // offset only the operator knows.
      if (p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
        return embedded('NAT64 (64:ff9b::/96)', ipv4FromParts(p[6], p[7]));
      }
      return 'local-use NAT64 (64:ff9b:1::/48, RFC 8215) address; the IPv4 inside cannot be located, so it is refused';
    case 'rfc6145':
      return `IPv4-translated (::ffff:0:0:0/96, RFC 6145) address of ${ipv4FromParts(p[6], p[7]).toString()}; refused whatever it carries`;
    case '6to4':
      return `6to4 (2002::/16, RFC 3056) address of ${ipv4FromParts(p[1], p[2]).toString()}; tunnelled forms are refused whatever they carry`;
    case 'teredo':
      return `Teredo (2001::/32, RFC 4380) address of client ${ipv4FromParts(p[6] ^ 0xffff, p[7] ^ 0xffff).toString()}; tunnelled forms are refused whatever they carry`;
    default:
      return label(range);
  }
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
    return `IPv4-compatible (deprecated by RFC 4291) address of ${ipv4FromParts(p[6], p[7]).toString()}; refused whatever it carries`;
  }
  if ((p[0] & 0xe000) !== 0x2000) return 'outside the global unicast space 2000::/3';
  return undefined;
}

function parseIPv6(address: string): ipaddr.IPv6 | undefined {
  try {
    return ipaddr.IPv6.parse(address);
  } catch {
    return undefined;
  }
}

/**
 * Undefined when a download may connect to `address`; otherwise why not. `address` is what a
 * resolver returned: a dotted-quad IPv4 or an IPv6 address (with a zone id, when scoped).
 */
export function classifyAddress(address: string): string | undefined {
  const zone = address.indexOf('%');
  const bare = zone === -1 ? address : address.slice(0, zone);
  if (zone !== -1) {
    const parsed = isIP(bare) === 6 ? parseIPv6(bare) : undefined;
    if (!parsed) return 'not an IP address';
    const why = classifyIPv6(parsed, bare.toLowerCase()) ?? 'a global address';
    return `${why}, scoped to zone ${address.slice(zone + 1)}; scoped addresses are refused`;
  }
  const family = isIP(address);
  if (family === 4) {
    // Node accepts only four decimal parts without leading zeros; so does this check.
    if (!ipaddr.IPv4.isValidFourPartDecimal(address)) return 'not a four-part decimal IPv4 address';
    return classifyIPv4(ipaddr.IPv4.parse(address));
  }
  if (family === 6) {
    const parsed = parseIPv6(address);
    return parsed ? classifyIPv6(parsed, address.toLowerCase()) : 'not an IP address';
  }
  // Resolvers return dotted quads; other spellings (0x7f.1, 2130706433, 0177.0.0.1) mean different
  // addresses to different parsers, so they are refused whatever they spell.
  if (ipaddr.IPv4.isValid(address)) {
    return `not a four-part decimal IPv4 address (it may mean ${ipaddr.IPv4.parse(address).toString()})`;
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
