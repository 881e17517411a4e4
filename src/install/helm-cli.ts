import type { KubernetesObject } from '@kubernetes/client-node';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CommandFailedError, runCommand } from '../devenv/run-command.ts';

/**
 * The real helm binary, driven with values as data: each values object goes to its own file
 * (`-f`, later files win), and helm's config, cache and data live in a private directory, so
 * nothing touches ~/.config/helm and parallel runs do not share repository caches.
 */
export interface HelmOptions {
  readonly helmPath: string;
  /** Cluster access for install, upgrade and uninstall; template and lint need none. */
  readonly kubeconfig?: string;
  readonly timeoutMs?: number;
  /** Base environment of helm (PATH for credential plugins); HELM_* and KUBECONFIG are set here. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface ReleaseOptions {
  readonly release: string;
  readonly chart: string;
  readonly namespace: string;
  readonly values?: readonly object[];
  readonly args?: readonly string[];
}

/** helm refused: `message` is what it printed (a schema violation, a template's `fail`, a server error). */
export class HelmError extends Error {
  readonly output: string;
  constructor(command: string, output: string) {
    super(`helm ${command} failed: ${output}`);
    this.name = 'HelmError';
    this.output = output;
  }
}

export class Helm {
  readonly #options: HelmOptions;
  #home: Promise<string> | undefined;

  constructor(options: HelmOptions) {
    this.#options = options;
  }

  async #dir(): Promise<string> {
    this.#home ??= mkdtemp(join(tmpdir(), 'flinkvisor-helm-'));
    return this.#home;
  }

  async #run(command: string, args: readonly string[], values: readonly object[] = []): Promise<string> {
    const home = await this.#dir();
    const valueArgs: string[] = [];
    const valuesDir = await mkdtemp(join(home, 'values-'));
    try {
      for (const [i, v] of values.entries()) {
        const file = join(valuesDir, `values-${i}.json`);
        await writeFile(file, JSON.stringify(v));
        valueArgs.push('-f', file);
      }
      const env: NodeJS.ProcessEnv = {
        ...this.#options.env,
        HOME: home,
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_DATA_HOME: join(home, 'data'),
        KUBECONFIG: this.#options.kubeconfig ?? join(home, 'no-kubeconfig'),
      };
      await mkdir(join(home, 'config'), { recursive: true });
      const result = await runCommand(this.#options.helmPath, [command, ...args, ...valueArgs], {
        env,
        timeoutMs: this.#options.timeoutMs ?? 300_000,
      });
      return result.stdout;
    } catch (err) {
      if (err instanceof CommandFailedError) throw new HelmError(command, err.outputTail);
      throw err;
    } finally {
      await rm(valuesDir, { recursive: true, force: true });
    }
  }

  /** `helm template`: the rendered manifests as YAML (CRDs of crds/ included with includeCrds). */
  template(o: ReleaseOptions & { readonly includeCrds?: boolean }): Promise<string> {
    return this.#run(
      'template',
      [
        o.release,
        o.chart,
        '--namespace',
        o.namespace,
        ...(o.includeCrds ? ['--include-crds'] : []),
        ...(o.args ?? []),
      ],
      o.values,
    );
  }

  /** `helm template`, parsed into objects. */
  async render(o: ReleaseOptions & { readonly includeCrds?: boolean }): Promise<KubernetesObject[]> {
    return parseManifests(await this.template(o));
  }

  /** `helm lint --strict`: resolves with its report, rejects when the chart fails. */
  lint(chart: string, values: readonly object[] = [], args: readonly string[] = []): Promise<string> {
    return this.#run('lint', ['--strict', chart, ...args], values);
  }

  install(o: ReleaseOptions): Promise<string> {
    return this.#run(
      'install',
      [o.release, o.chart, '--namespace', o.namespace, ...(o.args ?? [])],
      o.values,
    );
  }

  upgrade(o: ReleaseOptions): Promise<string> {
    return this.#run(
      'upgrade',
      [o.release, o.chart, '--namespace', o.namespace, ...(o.args ?? [])],
      o.values,
    );
  }

  uninstall(release: string, namespace: string, args: readonly string[] = []): Promise<string> {
    return this.#run('uninstall', [release, '--namespace', namespace, ...args]);
  }

  version(): Promise<string> {
    return this.#run('version', ['--short']);
  }

  /** Removes the private helm home. */
  async dispose(): Promise<void> {
    const home = this.#home;
    this.#home = undefined;
    if (home) await rm(await home, { recursive: true, force: true });
  }
}

/** A multi-document manifest stream as objects (empty documents skipped). */
export function parseManifests(yamlText: string): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML from helm: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value && typeof value === 'object') objects.push(value as KubernetesObject);
  }
  return objects;
}
