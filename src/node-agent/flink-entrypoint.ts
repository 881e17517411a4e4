import { flattenConfig, type FlinkConfig } from '../devenv/flink-config.ts';
import { parse } from 'yaml';

/**
 * The official Flink image's docker-entrypoint.sh contract, applied to a local distribution:
 * `jobmanager` / `taskmanager` / `standalone-job` / `help` as the first argument, the
 * configuration derived from `JOB_MANAGER_RPC_ADDRESS`, `TASK_MANAGER_NUMBER_OF_TASK_SLOTS` and
 * `FLINK_PROPERTIES` (appended last, so it wins), and `ENABLE_BUILT_IN_PLUGINS`.
 * What differs on purpose: every pod binds to its own loopback address instead of 0.0.0.0,
 * because all pods share the host's network, and a Prometheus reporter's single port becomes a
 * range starting there (see widenPrometheusPorts).
 */
export type FlinkRole = 'jobmanager' | 'taskmanager' | 'standalone-job';

export interface FlinkEntrypointPlan {
  readonly role: FlinkRole | undefined;
  /** Script in FLINK_HOME/bin and its arguments, or a plain command for pass-through. */
  readonly script: string | undefined;
  readonly args: readonly string[];
  readonly config: FlinkConfig;
  readonly plugins: readonly string[];
}

/**
 * A whole line that is a `$(NAME)` reference: the kubelet leaves a reference to a variable nobody
 * defined as written, as when Flinkvisor layers `$(FLINK_PROPERTIES)` over an environmentFrom
 * ConfigMap that has no such key. It is no configuration, so it is skipped.
 */
const UNEXPANDED_REFERENCE = /^\s*\$\([A-Za-z_][A-Za-z0-9_.-]*\)\s*$/;
const SKIPPED_LINE = /^\s*(#.*)?$|^(---|\.\.\.)\s*$/;

/**
 * The text cut into top-level entries: a line at column 0 and the indented lines under it. Each
 * is parsed alone, so a key repeated by a later layer (which one YAML document rejects) and a
 * nested block in one layer with a dotted key in another both resolve to the later one.
 */
function topLevelEntries(text: string): string[] {
  const entries: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (SKIPPED_LINE.test(line) || UNEXPANDED_REFERENCE.test(line)) continue;
    const last = entries.at(-1);
    if (/^\s/.test(line) && last) last.push(line);
    else entries.push([line]);
  }
  return entries.map((lines) => lines.join('\n'));
}

/** One entry as YAML, else as the legacy `key: value` lines (values with `: ` in them, say). */
function parseEntry(entry: string): FlinkConfig {
  try {
    const parsed: unknown = parse(entry, { uniqueKeys: false });
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return flattenConfig(parsed);
  } catch {
    // fall through to the line-based reading the legacy image used
  }
  const out: FlinkConfig = {};
  for (const line of entry.split('\n')) {
    const m = /^\s*([^:#\s][^:]*?)\s*:\s*(.*?)\s*$/.exec(line);
    if (m?.[1]) out[m[1]] = m[2] ?? '';
  }
  return out;
}

/**
 * FLINK_PROPERTIES is YAML (1.19+) or legacy `key: value` lines, and, as Flinkvisor composes it,
 * several layers one after the other: a later key wins, as in Flink's own entrypoint, which
 * appends the variable to the configuration.
 */
export function parseFlinkProperties(text: string | undefined): FlinkConfig {
  if (!text?.trim()) return {};
  const out: FlinkConfig = {};
  for (const entry of topLevelEntries(text)) Object.assign(out, parseEntry(entry));
  return out;
}

/** How many ports a Prometheus reporter may try on the shared host, from its configured one. */
export const PROMETHEUS_PORT_RANGE = 16;
const PROMETHEUS_FACTORY = 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory';
const FLINK_DEFAULT_PROMETHEUS_PORT = 9249;

/**
 * Flink's Prometheus reporter binds every interface (no bind address can be configured), so on a
 * host where every pod shares one network the second pod's reporter would find its port taken and
 * not start. Each reporter configured with a single port gets the range `port-(port+15)` instead,
 * as Flink's documentation advises for several TaskManagers on one host: it takes the first free
 * port. In a cluster each pod has its own network and the reporter keeps the port it was given.
 */
export function widenPrometheusPorts(config: FlinkConfig): void {
  for (const [key, value] of Object.entries(config)) {
    const m = /^metrics\.reporter\.([^.]+)\.factory\.class$/.exec(key);
    if (!m || String(value).trim() !== PROMETHEUS_FACTORY) continue;
    const portKey = `metrics.reporter.${m[1]}.port`;
    const port = String(config[portKey] ?? FLINK_DEFAULT_PROMETHEUS_PORT).trim();
    if (!/^\d+$/.test(port)) continue; // already a range or a list: the user's choice
    const first = Number(port);
    config[portKey] = `${first}-${Math.min(first + PROMETHEUS_PORT_RANGE - 1, 65535)}`;
  }
}

export interface EntrypointInput {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly distributionConfig: FlinkConfig;
  readonly podIp: string;
}

export function planFlinkEntrypoint(input: EntrypointInput): FlinkEntrypointPlan {
  const [first, ...rest] = input.args;
  const role: FlinkRole | undefined =
    first === 'jobmanager' || first === 'taskmanager' || first === 'standalone-job' ? first : undefined;
  const config: FlinkConfig = { ...input.distributionConfig };
  // As docker-entrypoint.sh: RPC address from the env (else the pod's hostname), fixed blob and query ports.
  config['jobmanager.rpc.address'] = input.env['JOB_MANAGER_RPC_ADDRESS'] ?? input.podIp;
  config['blob.server.port'] = 6124;
  config['query.server.port'] = 6125;
  const slots = input.env['TASK_MANAGER_NUMBER_OF_TASK_SLOTS'];
  if (slots) config['taskmanager.numberOfTaskSlots'] = Number(slots);
  Object.assign(config, parseFlinkProperties(input.env['FLINK_PROPERTIES']));
  // The pod's own network: bind and advertise the pod IP (the image binds 0.0.0.0 in its own namespace).
  config['jobmanager.bind-host'] = input.podIp;
  config['rest.bind-address'] = input.podIp;
  config['rest.address'] = input.podIp;
  config['taskmanager.bind-host'] = input.podIp;
  config['taskmanager.host'] = input.podIp;
  widenPrometheusPorts(config);
  const plugins = (input.env['ENABLE_BUILT_IN_PLUGINS'] ?? '')
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean);
  const script =
    role === 'jobmanager'
      ? 'jobmanager.sh'
      : role === 'taskmanager'
        ? 'taskmanager.sh'
        : role === 'standalone-job'
          ? 'standalone-job.sh'
          : undefined;
  return { role, script, args: role ? ['start-foreground', ...rest] : input.args, config, plugins };
}
