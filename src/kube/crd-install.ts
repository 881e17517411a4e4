import {
  ApiextensionsV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { systemClock, type Clock } from './clock.ts';
import { kubeMessageOf } from './errors.ts';
import { pollUntil } from './wait-for.ts';

/** The part of a CustomResourceDefinition manifest this module reads. */
export interface CrdManifest {
  readonly metadata: { readonly name: string };
}

export interface InstallCrdsOptions {
  /** Field manager of the server-side apply; the owner of the CRD fields. */
  readonly fieldManager?: string;
  /** How long to wait for each CRD to become Established. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** The clock the wait polls on (tests move a manual one). */
  readonly clock?: Clock;
}

/** How long each CRD may take to become Established: the API server serves a new CRD in seconds. */
const ESTABLISHED_TIMEOUT_MS = 60_000;
/** How often the CRD is read while waiting: quick enough that an install does not drag. */
const ESTABLISHED_POLL_MS = 200;

/** A CRD the API server refused, or that never became Established. */
export class CrdInstallError extends Error {}

function condition(crd: V1CustomResourceDefinition, type: string) {
  return crd.status?.conditions?.find((c) => c.type === type);
}

/**
 * Creates or updates CustomResourceDefinitions and waits until each is Established (its API is
 * served). Server-side apply makes it one idempotent call per CRD: creating, updating, or doing
 * nothing; fields an earlier apply set and this one dropped are removed. The manifests are sent
 * as plain JSON (a patch body), so every `x-kubernetes-*` keyword reaches the API server as written.
 */
export async function installCrds(
  kubeConfig: KubeConfig,
  manifests: readonly CrdManifest[],
  options: InstallCrdsOptions = {},
): Promise<V1CustomResourceDefinition[]> {
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const fieldManager = options.fieldManager ?? 'flinkvisor';
  for (const manifest of manifests) {
    try {
      await api.patchCustomResourceDefinition(
        { name: manifest.metadata.name, body: manifest, fieldManager, force: true },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    } catch (err) {
      throw new CrdInstallError(
        `applying CustomResourceDefinition ${manifest.metadata.name}: ${kubeMessageOf(err)}`,
        {
          cause: err,
        },
      );
    }
  }
  const established: V1CustomResourceDefinition[] = [];
  for (const manifest of manifests) {
    const name = manifest.metadata.name;
    let refused: string | undefined;
    const wait = pollUntil(
      `CustomResourceDefinition ${name} to be Established`,
      async () => {
        const crd = await api.readCustomResourceDefinition({ name });
        const namesAccepted = condition(crd, 'NamesAccepted');
        if (namesAccepted?.status === 'False') {
          refused = `names not accepted: ${namesAccepted.message ?? namesAccepted.reason ?? 'no reason given'}`;
          return undefined;
        }
        return condition(crd, 'Established')?.status === 'True' ? crd : undefined;
      },
      {
        clock: options.clock ?? systemClock,
        timeoutMs: options.timeoutMs ?? ESTABLISHED_TIMEOUT_MS,
        intervalMs: ESTABLISHED_POLL_MS,
        abortIf: () => refused,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    try {
      established.push(await wait);
    } catch (err) {
      throw new CrdInstallError(err instanceof Error ? err.message : String(err), { cause: err });
    }
  }
  return established;
}
