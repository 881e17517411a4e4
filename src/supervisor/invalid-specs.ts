import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import type { Clock } from '../kube/clock.ts';
import type { CrKind, Notices } from './notices.ts';
import type { AnyHost } from './resource-host.ts';
import { writeInvalidSpecWithoutMachine } from './unsupervised-status.ts';

/** What reporting a spec that does not parse needs of the supervisor. */
export interface InvalidSpecDeps {
  readonly resources: CustomResourceClient;
  readonly namespace: string;
  readonly clock: Clock;
  readonly notices: Pick<Notices, 'event'>;
  /** Writes the resource's status through its machine's status writer. */
  readonly writeStatus: (host: AnyHost, raw: CustomObject) => Promise<void>;
}

/**
 * A spec that does not parse. A resource with a machine says so through its status writer (the one
 * writer of its status, so the next snapshot keeps saying it); one without a machine gets the
 * conditions patched in. The Event is said once per generation.
 */
export async function reportInvalidSpec(
  deps: InvalidSpecDeps,
  kind: CrKind,
  raw: CustomObject,
  message: string,
  host: AnyHost | undefined,
): Promise<void> {
  const generation = raw.metadata.generation ?? 0;
  if (host) {
    const noticed = host.invalidSpec?.generation === generation && host.invalidSpec.message === message;
    host.invalidSpec = { generation, message };
    if (noticed) return;
    await deps.writeStatus(host, raw).catch(() => undefined);
  } else {
    const now = deps.clock.now();
    if (!(await writeInvalidSpecWithoutMachine(deps.resources, kind, deps.namespace, raw, message, now)))
      return;
  }
  deps.notices.event(kind, raw, 'Warning', 'InvalidSpec', message);
}
