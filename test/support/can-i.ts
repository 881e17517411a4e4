import { runCommand } from '../../src/devenv/run-command.ts';

/**
 * What `kubectl auth can-i --list` reports for one subject in one namespace, as resource → verbs
 * (sorted, space-separated). Rows of the same resource are merged (kubectl prints one per rule);
 * a row limited to resource names is kept apart as `resource[name,...]`. Non-resource URLs
 * (/api, /version, ...) are left out: the built-in discovery roles grant them to every
 * authenticated caller, whatever the chart does.
 */
export type CanIList = Record<string, string>;

const ROW = /^(\S+)\s+\[([^\]]*)\]\s+\[([^\]]*)\]\s+\[([^\]]*)\]\s*$/;

export function parseCanIList(output: string): CanIList {
  const verbs = new Map<string, Set<string>>();
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const [header, ...rows] = lines;
  if (!header?.startsWith('Resources')) throw new Error(`not a can-i --list table:\n${output}`);
  for (const line of rows) {
    const match = ROW.exec(line);
    // A row without a resource is a non-resource URL row.
    if (!match) {
      if (/^\s/.test(line)) continue;
      throw new Error(`unexpected can-i --list row: ${line}`);
    }
    const [, resource = '', urls = '', names = '', verbList = ''] = match;
    if (urls !== '') continue;
    const key = names === '' ? resource : `${resource}[${names.split(' ').sort().join(',')}]`;
    const set = verbs.get(key) ?? new Set<string>();
    for (const verb of verbList.split(' ').filter(Boolean)) set.add(verb);
    verbs.set(key, set);
  }
  return Object.fromEntries(
    [...verbs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort().join(' ')]),
  );
}

/** `kubectl auth can-i --list` as a ServiceAccount (impersonated by the admin kubeconfig). */
export async function canIList(
  kubectl: string,
  kubeconfig: string,
  serviceAccount: { readonly namespace: string; readonly name: string },
  namespace: string,
): Promise<CanIList> {
  const { stdout } = await runCommand(
    kubectl,
    [
      '--kubeconfig',
      kubeconfig,
      'auth',
      'can-i',
      '--list',
      `--as=system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`,
      '-n',
      namespace,
    ],
    { timeoutMs: 60_000 },
  );
  return parseCanIList(stdout);
}
