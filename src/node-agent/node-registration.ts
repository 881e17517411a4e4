import {
  CoordinationV1Api,
  CoreV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Node,
} from '@kubernetes/client-node';
import { isAlreadyExists, isNotFound } from '../kube/errors.ts';
import { strategicMergePatch } from '../kube/patch-options.ts';

export const NODE_AGENT_DIR_ANNOTATION = 'flinkvisor.io/node-agent-dir';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeRegistrationOptions {
  readonly kubeConfig: KubeConfig;
  readonly nodeName: string;
  readonly hostIp: string;
  readonly agentDir: string;
  readonly capacity: { cpu: string; memory: string; pods: string };
  readonly leaseDurationSeconds?: number;
  readonly kubeletVersion: string;
  /** Where the kubelet API listens on hostIp, if it runs: the API server proxies `kubectl logs` there. */
  readonly kubeletPort?: () => number | undefined;
}

function readyConditions(now: Date) {
  const ok = (type: string, reason: string) => ({
    type,
    status: 'False',
    reason,
    message: 'flinkvisor node agent',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return [
    ok('MemoryPressure', 'KubeletHasSufficientMemory'),
    ok('DiskPressure', 'KubeletHasNoDiskPressure'),
    ok('PIDPressure', 'KubeletHasSufficientPID'),
    {
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'flinkvisor node agent is posting ready status',
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    },
  ];
}

/** Registers the Node with Ready status and keeps its Lease in kube-node-lease renewed (the node heartbeat). */
export class NodeRegistration {
  readonly #core: CoreV1Api;
  readonly #coordination: CoordinationV1Api;
  readonly #options: NodeRegistrationOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: NodeRegistrationOptions) {
    this.#options = options;
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.#coordination = options.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  async register(): Promise<V1Node> {
    const o = this.#options;
    const body: V1Node = {
      metadata: {
        name: o.nodeName,
        labels: {
          'kubernetes.io/hostname': o.nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'flinkvisor.io/node-agent': 'true',
        },
        annotations: { [NODE_AGENT_DIR_ANNOTATION]: o.agentDir },
      },
      spec: {},
    };
    try {
      await this.#core.createNode({ body });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await this.#core.patchNode(
        { name: o.nodeName, body: { metadata: body.metadata } },
        strategicMergePatch(),
      );
    }
    const now = new Date();
    const capacity = { ...o.capacity, 'ephemeral-storage': '100Gi' };
    return this.#core.patchNodeStatus(
      {
        name: o.nodeName,
        body: {
          status: {
            capacity,
            allocatable: capacity,
            conditions: readyConditions(now),
            addresses: [
              { type: 'InternalIP', address: o.hostIp },
              { type: 'Hostname', address: o.nodeName },
            ],
            // The wire name is `Port` (a patch body is sent as written, not renamed by the client).
            daemonEndpoints: { kubeletEndpoint: { Port: o.kubeletPort?.() ?? 0 } },
            nodeInfo: {
              architecture: 'amd64',
              operatingSystem: 'linux',
              kubeletVersion: o.kubeletVersion,
              kubeProxyVersion: '',
              bootID: '',
              containerRuntimeVersion: 'flinkvisor-process://1',
              kernelVersion: '',
              machineID: '',
              osImage: 'local processes',
              systemUUID: o.nodeName,
            },
          },
        },
      },
      strategicMergePatch(),
    );
  }

  async renew(): Promise<void> {
    const o = this.#options;
    const name = o.nodeName;
    const spec = {
      holderIdentity: name,
      leaseDurationSeconds: o.leaseDurationSeconds ?? 40,
      renewTime: new V1MicroTime(),
    };
    try {
      const lease = await this.#coordination.readNamespacedLease({ name, namespace: NODE_LEASE_NAMESPACE });
      await this.#coordination.replaceNamespacedLease({
        name,
        namespace: NODE_LEASE_NAMESPACE,
        body: { ...lease, spec: { ...lease.spec, ...spec } },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.#coordination.createNamespacedLease({
        namespace: NODE_LEASE_NAMESPACE,
        body: { metadata: { name }, spec },
      });
    }
  }

  /** Renews every 10 s; a failed renewal is retried at the next tick. */
  startHeartbeat(onError: (err: unknown) => void): void {
    const tick = () => void this.renew().catch(onError);
    tick();
    this.#timer = setInterval(tick, 10_000);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
