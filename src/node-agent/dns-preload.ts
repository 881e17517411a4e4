// Preloaded into every Node process the node agent runs (`node --import`), so ordinary service
// names (`jobmanager-demo`, `x.ns.svc.cluster.local`) resolve as they would in a cluster: lookups
// consult the pod's hosts file first and fall back to the system resolver.
// This module runs before the program and reads its one setting from the environment on purpose.
import dns from 'node:dns';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseHostsFile } from './hosts-table.ts';

const hostsFile = process.env['FLINKVISOR_HOSTS_FILE'];
let cached: { mtimeMs: number; table: Map<string, string> } | undefined;

function table(): Map<string, string> {
  if (!hostsFile) return new Map();
  try {
    const { mtimeMs } = statSync(hostsFile);
    if (!cached || cached.mtimeMs !== mtimeMs)
      cached = { mtimeMs, table: parseHostsFile(readFileSync(hostsFile, 'utf8')) };
    return cached.table;
  } catch {
    return cached?.table ?? new Map();
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;
const originalLookup = dns.lookup.bind(dns) as (...args: unknown[]) => void;

function patchedLookup(hostname: string, optionsOrCallback: unknown, maybeCallback?: unknown): void {
  const callback = (
    typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback
  ) as LookupCallback;
  const options = (
    typeof optionsOrCallback === 'object' && optionsOrCallback !== null ? optionsOrCallback : {}
  ) as dns.LookupOptions;
  const ip = hostname && !isIP(hostname) ? table().get(hostname.toLowerCase().replace(/\.$/, '')) : undefined;
  if (!ip) {
    originalLookup(hostname, optionsOrCallback, maybeCallback);
    return;
  }
  const family = isIP(ip);
  process.nextTick(() => {
    if (options.all) callback(null, [{ address: ip, family }]);
    else callback(null, ip, family);
  });
}

(dns as { lookup: unknown }).lookup = patchedLookup;
const promises = dns.promises as { lookup: unknown };
const originalPromisesLookup = dns.promises.lookup.bind(dns.promises);
promises.lookup = async (hostname: string, options?: dns.LookupOptions) => {
  const ip = hostname && !isIP(hostname) ? table().get(hostname.toLowerCase().replace(/\.$/, '')) : undefined;
  if (!ip) return originalPromisesLookup(hostname, options ?? {});
  const family = isIP(ip);
  return options?.all ? [{ address: ip, family }] : { address: ip, family };
};
