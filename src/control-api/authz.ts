import { AuthorizationV1Api, type KubeConfig, type V1ResourceAttributes } from '@kubernetes/client-node';
import { API_GROUP } from '../api/names.ts';
import type { Caller } from './authn.ts';
import { forbidden, HttpProblem } from './errors.ts';
import type { AuthorizationRule } from './routes.ts';

/**
 * Authorization of every control API request with a SubjectAccessReview: the caller may do through
 * the API exactly what their RBAC lets them do with kubectl on the resource the route touches
 * (ADR 0006 has the table). The control API's own, wider permissions are never lent out.
 */

/** The SubjectAccessReview attributes of a route, for the object it touches (when it has one). */
export function resourceAttributesFor(
  rule: AuthorizationRule,
  namespace: string,
  objectName: string | undefined,
): V1ResourceAttributes {
  return {
    group: API_GROUP,
    namespace,
    verb: rule.verb,
    resource: rule.resource,
    ...(rule.subresource ? { subresource: rule.subresource } : {}),
    ...(rule.object !== 'none' && objectName ? { name: objectName } : {}),
  };
}

export interface AccessDecision {
  readonly allowed: boolean;
  readonly reason?: string;
}

export type AccessReviewer = (caller: Caller, attributes: V1ResourceAttributes) => Promise<AccessDecision>;

/** SubjectAccessReview through the API server (needs `create subjectaccessreviews`). */
export function kubernetesAccessReviewer(kubeConfig: KubeConfig): AccessReviewer {
  const api = kubeConfig.makeApiClient(AuthorizationV1Api);
  return async (caller, attributes) => {
    const review = await api.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: caller.username,
          groups: [...caller.groups],
          ...(caller.uid ? { uid: caller.uid } : {}),
          ...(caller.extra
            ? { extra: Object.fromEntries(Object.entries(caller.extra).map(([k, v]) => [k, [...v]])) }
            : {}),
          resourceAttributes: attributes,
        },
      },
    });
    const status = review.status;
    return {
      allowed: status?.allowed === true && status.denied !== true,
      ...(status?.reason ? { reason: status.reason } : {}),
    };
  };
}

/** `patch flinkjobs/scale "demo-a" in namespace "ns"`: the words of a 403. */
export function describeAttributes(a: V1ResourceAttributes): string {
  const resource = a.subresource ? `${a.resource ?? ''}/${a.subresource}` : (a.resource ?? '');
  const name = a.name ? ` "${a.name}"` : '';
  return `${a.verb ?? ''} ${resource}.${a.group ?? ''}${name} in namespace "${a.namespace ?? ''}"`;
}

/** Throws 403 unless the caller may; 503 when the review itself fails. */
export async function authorize(
  review: AccessReviewer,
  caller: Caller,
  attributes: V1ResourceAttributes,
): Promise<void> {
  let decision: AccessDecision;
  try {
    decision = await review(caller, attributes);
  } catch (err) {
    throw new HttpProblem(
      503,
      'AuthorizationUnavailable',
      `the request could not be authorized: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  if (!decision.allowed) {
    throw forbidden(`user "${caller.username}" may not ${describeAttributes(attributes)}`);
  }
}
