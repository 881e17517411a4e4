// Pod IPs and the URLs built from them, in one place. A pod IP may be IPv6 (single-stack IPv6 or
// dual-stack clusters): in a URL, or a Host header, an IPv6 literal must be bracketed
// (`http://[fd00::1]:8081`, RFC 3986), and the same address has many spellings (Kubernetes writes
// RFC 5952's compressed form, Java the full one, Flink may print an IPv4 pod as IPv4-mapped), so two
// addresses are compared only after both are put in Kubernetes' spelling.
import ipaddr from 'ipaddr.js';

/**
 * An address in the form Kubernetes writes pod IPs (IPv4 dotted quad, IPv6 compressed as RFC 5952,
 * lower case), or undefined when `text` is not a plain IP address. Only the plain spellings are read:
 * four decimal parts for IPv4 (never `2001` read as 0.0.7.209), or IPv6, bracketed or not.
 */
export function canonicalPodAddress(text: string | undefined): string | undefined {
  const bare = text?.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!bare || !(ipaddr.IPv4.isValidFourPartDecimal(bare) || ipaddr.IPv6.isValid(bare))) return undefined;
  if (bare.includes('%')) return undefined; // a zone id: link-local, never a pod IP
  const address = ipaddr.parse(bare);
  // Flink may print an IPv4 pod address as IPv4-mapped IPv6; Kubernetes writes it as IPv4.
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) {
    return address.toIPv4Address().toString();
  }
  return address.toString();
}

/** Whether two spellings name the same pod address (false when either is not an address). */
export function samePodAddress(a: string | undefined, b: string | undefined): boolean {
  const left = canonicalPodAddress(a);
  return left !== undefined && left === canonicalPodAddress(b);
}

/**
 * A host as it goes into a URL's authority or a Host header: an IPv6 literal bracketed, anything
 * else (an IPv4 address, a DNS name, an already bracketed literal) as it is.
 */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `host:port` for a URL's authority or a Host header (`[fd00::1]:8081`, `10.0.0.5:8081`). */
export function hostPort(host: string, port: number): string {
  return `${urlHost(host)}:${port}`;
}

/** `http://host:port` plus `path` (which starts with `/` when given), IPv6 hosts bracketed. */
export function hostUrl(scheme: 'http' | 'https', host: string, port: number, path = ''): string {
  return `${scheme}://${hostPort(host, port)}${path}`;
}
