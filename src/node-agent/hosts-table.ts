import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';

/**
 * Service DNS without a DNS server: a hosts file per namespace, built from Services and their
 * ready endpoints. The API server refuses loopback addresses in EndpointSlices ("may not be in the
 * loopback range"), so for Services with a selector the endpoints are the ready pods the selector
 * matches, computed here as the endpoint controller would; EndpointSlices still serve Services
 * without a selector. Every namespace's file holds every Service's qualified names
 * (`name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local`) and, like the resolver's search path,
 * the bare `name` of its own namespace's Services. A Service's port must equal its target port:
 * resolution maps names, not ports.
 */
export const CLUSTER_DOMAIN = 'cluster.local';

export interface ServiceAddress {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
}

function podReady(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    !pod.metadata?.deletionTimestamp &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The first ready endpoint address of each Service (sorted, so the choice is stable). */
export function serviceAddresses(
  services: readonly V1Service[],
  slices: readonly V1EndpointSlice[],
  pods: readonly V1Pod[],
): ServiceAddress[] {
  const out: ServiceAddress[] = [];
  for (const svc of services) {
    const namespace = svc.metadata?.namespace;
    const name = svc.metadata?.name;
    if (!namespace || !name) continue;
    const ips: string[] = [];
    const selector = svc.spec?.selector;
    if (selector && Object.keys(selector).length > 0) {
      for (const pod of pods) {
        if (pod.metadata?.namespace !== namespace || !podReady(pod) || !pod.status?.podIP) continue;
        if (selects(selector, pod.metadata.labels)) ips.push(pod.status.podIP);
      }
    }
    for (const slice of selector && Object.keys(selector).length > 0 ? [] : slices) {
      if (slice.metadata?.namespace !== namespace) continue;
      if (slice.metadata?.labels?.['kubernetes.io/service-name'] !== name) continue;
      if (slice.addressType !== 'IPv4') continue;
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false) continue;
        ips.push(...ep.addresses);
      }
    }
    ips.sort();
    const ip = ips[0];
    if (ip) out.push({ namespace, name, ip });
  }
  return out;
}

export interface HostsFileOptions {
  /**
   * The pod's own address: `localhost`, the machine's host name and the pod's name resolve to it,
   * as inside a pod's network namespace (a JVM's hosts file replaces /etc/hosts entirely, and Flink
   * reaches its own BLOB server through `localhost`).
   */
  readonly selfAddress: string;
  readonly localNames: readonly string[];
}

export function renderHostsFile(
  namespace: string,
  services: readonly ServiceAddress[],
  options: HostsFileOptions,
): string {
  const lines = [
    `${options.selfAddress} ${['localhost', ...options.localNames].join(' ')}`,
    '::1 ip6-localhost',
  ];
  const sorted = [...services].sort((a, b) =>
    `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
  for (const s of sorted) {
    const names = [
      `${s.name}.${s.namespace}`,
      `${s.name}.${s.namespace}.svc`,
      `${s.name}.${s.namespace}.svc.${CLUSTER_DOMAIN}`,
    ];
    if (s.namespace === namespace) names.unshift(s.name);
    lines.push(`${s.ip} ${names.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses hosts-file text into name → address (first entry wins, as in /etc/hosts). */
export function parseHostsFile(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [ip, ...names] = line.split(/\s+/);
    if (!ip) continue;
    for (const n of names) if (!map.has(n.toLowerCase())) map.set(n.toLowerCase(), ip);
  }
  return map;
}
