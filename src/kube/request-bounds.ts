import type { KubeConfig } from '@kubernetes/client-node';

/**
 * Every Kubernetes API request has a deadline. client-node sets none: a request to an API server
 * that accepted the connection and then went silent waits for the operating system's TCP timeout,
 * and a leader whose Lease renew hangs that way keeps acting without knowing it lost the Lease.
 * Watches are not bounded here (they are long by design; the informer ends a silent one itself).
 */
export const KUBE_REQUEST_TIMEOUT_MS = 10_000;

export interface RequestBounds {
  /** Each request fails with a TimeoutError after this long (default KUBE_REQUEST_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /**
   * Read at the start of each request: when it aborts (leadership lost), the requests in flight
   * are cancelled and new ones fail at once.
   */
  readonly cancelWhen?: () => AbortSignal | undefined;
  /** Injected so tests need not wait for a real timeout. */
  readonly timeoutSignal?: (ms: number) => AbortSignal;
}

/**
 * A view of `kubeConfig` whose API clients (`makeApiClient`) bound every request by `bounds`. The
 * generated clients ask their KubeConfig to authenticate each request, which is where a signal can
 * be attached to it; everything else (clusters, users, watches) is the original's, by prototype.
 */
export function boundedKubeConfig(kubeConfig: KubeConfig, bounds: RequestBounds = {}): KubeConfig {
  const timeoutMs = bounds.timeoutMs ?? KUBE_REQUEST_TIMEOUT_MS;
  const timeoutSignal = bounds.timeoutSignal ?? ((ms: number) => AbortSignal.timeout(ms));
  const bounded = Object.create(kubeConfig) as KubeConfig;
  const authenticate = kubeConfig.applySecurityAuthentication.bind(kubeConfig);
  bounded.applySecurityAuthentication = async (context) => {
    await authenticate(context);
    const cancel = bounds.cancelWhen?.();
    const deadline = timeoutSignal(timeoutMs);
    context.setSignal(cancel ? AbortSignal.any([deadline, cancel]) : deadline);
  };
  return bounded;
}
