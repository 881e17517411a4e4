import { flattenConfig, type FlinkConfig } from '../devenv/flink-config.ts';
import { parse } from 'yaml';

/**
 * The official Flink image's docker-entrypoint.sh contract, applied to a local distribution:
 * `jobmanager` / `taskmanager` / `standalone-job` / `help` as the first argument, the
 * configuration derived from `JOB_MANAGER_RPC_ADDRESS`, `TASK_MANAGER_NUMBER_OF_TASK_SLOTS` and
 * `FLINK_PROPERTIES` (appended last, so it wins), and `ENABLE_BUILT_IN_PLUGINS`.
 * What differs on purpose: every pod binds to its own loopback address instead of 0.0.0.0,
 * because all pods share the host's network.
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

/** FLINK_PROPERTIES is YAML (1.19+) or legacy `key: value` lines; both parse as flat YAML. */
export function parseFlinkProperties(text: string | undefined): FlinkConfig {
  if (!text?.trim()) return {};
  try {
    const parsed: unknown = parse(text);
    if (parsed && typeof parsed === 'object') return flattenConfig(parsed);
  } catch {
    // fall through to the line-based reading the legacy image used
  }
  const out: FlinkConfig = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([^:#\s][^:]*?)\s*:\s*(.*?)\s*$/.exec(line);
    if (m?.[1]) out[m[1]] = m[2] ?? '';
  }
  return out;
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
