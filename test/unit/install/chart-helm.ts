import type { KubernetesObject, V1PolicyRule } from '@kubernetes/client-node';
import { ensureHelmBinary, HELM_VERSION } from '../../../src/devenv/helm-binary.ts';
import { defaultCacheDir } from '../../../src/devenv/prepare.ts';
import { consoleProgress } from '../../../src/devenv/progress.ts';
import { Helm } from '../../../src/install/helm-cli.ts';

// The real helm for the chart unit tests (template and lint need no cluster). It is built into the
// per-user cache by `devenv prepare`; a test file run alone builds it once (about 1.5 minutes).

/** Long enough for a cold build of helm in a beforeAll. */
export const HELM_SETUP_TIMEOUT_MS = 600_000;
/** A few helm runs on a busy 2-core machine. */
export const HELM_TEST_TIMEOUT_MS = 60_000;

export async function chartHelm(): Promise<Helm> {
  const binary = await ensureHelmBinary(
    defaultCacheDir(process.env),
    HELM_VERSION,
    consoleProgress((line) => process.stderr.write(`${line}\n`)),
    process.env,
  );
  return new Helm({ helmPath: binary.path, env: process.env, timeoutMs: 60_000 });
}

export type Manifest = KubernetesObject & Record<string, unknown>;

/** The one object of a kind and name (and namespace, when given); fails the test when absent or doubled. */
export function one(
  objects: readonly KubernetesObject[],
  kind: string,
  name: string,
  namespace?: string,
): Manifest {
  const found = objects.filter(
    (o) =>
      o.kind === kind &&
      o.metadata?.name === name &&
      (namespace === undefined || o.metadata?.namespace === namespace),
  );
  if (found.length !== 1) {
    const seen = objects.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`);
    throw new Error(
      `expected one ${kind} ${namespace ?? '*'}/${name}, found ${found.length} among ${seen.join(', ')}`,
    );
  }
  return found[0] as Manifest;
}

export function ofKind(objects: readonly KubernetesObject[], kind: string): Manifest[] {
  return objects.filter((o) => o.kind === kind) as Manifest[];
}

export function rulesOf(role: Manifest): V1PolicyRule[] {
  return (role['rules'] as V1PolicyRule[] | undefined) ?? [];
}
