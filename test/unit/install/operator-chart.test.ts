// The flinkvisor chart rendered by the real helm with several value sets: what each mode grants,
// the operator's flags, and the errors a half-configured install gets instead of a crash loop.
import type { KubernetesObject, V1Deployment, V1PolicyRule } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_CHART_DIRECTORY } from '../../../src/install/chart-files.ts';
import {
  OPERATOR_NAMESPACED_RULES,
  USER_EDIT_RULES,
  USER_VIEW_RULES,
} from '../../../src/install/chart-rbac.ts';
import { HelmError, type Helm } from '../../../src/install/helm-cli.ts';
import {
  OPERATOR_LEASE_RULES,
  OPERATOR_RULES,
  operatorManifests,
} from '../../../src/install/operator-manifests.ts';
import { CONTROL_API_CLUSTER_RULES, SUPERVISOR_RULES } from '../../../src/install/rbac.ts';
import { FLINKVISOR_VERSION } from '../../../src/version.ts';
import {
  chartHelm,
  HELM_SETUP_TIMEOUT_MS,
  HELM_TEST_TIMEOUT_MS,
  one,
  ofKind,
  rulesOf,
  type Manifest,
} from './chart-helm.ts';

let helm: Helm;
const NS = 'flinkvisor-system';
const OPERATOR = 'fv-flinkvisor-operator';

beforeAll(async () => {
  helm = await chartHelm();
}, HELM_SETUP_TIMEOUT_MS);
afterAll(async () => {
  await helm?.dispose();
});

const render = (...values: object[]) =>
  helm.render({ release: 'fv', chart: OPERATOR_CHART_DIRECTORY, namespace: NS, values });

const local = { api: { insecureHttp: true } };

function deployment(objects: readonly KubernetesObject[]): V1Deployment {
  return one(objects, 'Deployment', OPERATOR, NS) as V1Deployment;
}

function operatorArgs(objects: readonly KubernetesObject[]): string[] {
  return deployment(objects).spec?.template.spec?.containers[0]?.args ?? [];
}

/** Every binding (Role or Cluster) whose subjects name this ServiceAccount. */
function bindingsOf(objects: readonly KubernetesObject[], name: string, namespace: string): Manifest[] {
  return [...ofKind(objects, 'RoleBinding'), ...ofKind(objects, 'ClusterRoleBinding')].filter((b) =>
    (b['subjects'] as { kind: string; name: string; namespace: string }[]).some(
      (s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace,
    ),
  );
}

/** The rules a binding grants (resolving its roleRef among the rendered roles). */
function grantedRules(objects: readonly KubernetesObject[], binding: Manifest): V1PolicyRule[] {
  const ref = binding['roleRef'] as { kind: string; name: string };
  const namespace = ref.kind === 'Role' ? binding.metadata?.namespace : undefined;
  return rulesOf(one(objects, ref.kind, ref.name, namespace));
}

describe('helm lint', () => {
  it(
    'passes --strict with local, TLS, namespaced and monitoring value sets',
    async () => {
      for (const values of [
        local,
        { api: { tls: { secretName: 'api-tls', clientCa: true, requireClientCertificate: true } } },
        { ...local, watchNamespaces: ['team-a', 'team-b'], supervisor: { namespaces: ['team-c'] } },
        { api: { port: 0 }, serviceMonitor: { enabled: true }, operator: { replicaCount: 1 } },
      ]) {
        const report = await helm.lint(OPERATOR_CHART_DIRECTORY, [values]);
        expect(report).toContain('1 chart(s) linted, 0 chart(s) failed');
      }
    },
    HELM_TEST_TIMEOUT_MS,
  );
});

describe('watching every namespace (watchNamespaces empty)', () => {
  let objects: KubernetesObject[];
  beforeAll(async () => {
    objects = await render(local);
  }, HELM_TEST_TIMEOUT_MS);

  it('runs the operator with --all-namespaces and binds OPERATOR_RULES cluster-wide', () => {
    expect(operatorArgs(objects)).toContain('--all-namespaces');
    expect(operatorArgs(objects).some((a) => a.startsWith('--namespaces'))).toBe(false);
    const bindings = bindingsOf(objects, OPERATOR, NS);
    const clusterBinding = bindings.find((b) => b.kind === 'ClusterRoleBinding');
    expect(clusterBinding?.['roleRef']).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: OPERATOR,
    });
    expect(grantedRules(objects, clusterBinding as Manifest)).toEqual(OPERATOR_RULES);
  });

  it('grants the Lease rules in the release namespace only, and nothing else', () => {
    const bindings = bindingsOf(objects, OPERATOR, NS);
    expect(
      bindings.map((b) => `${b.kind}/${b.metadata?.namespace ?? ''}/${b.metadata?.name}`).sort(),
    ).toEqual([`ClusterRoleBinding//${OPERATOR}`, `RoleBinding/${NS}/${OPERATOR}-leader-election`]);
    const lease = bindings.find((b) => b.kind === 'RoleBinding') as Manifest;
    expect(grantedRules(objects, lease)).toEqual(OPERATOR_LEASE_RULES);
  });

  it('renders the supervisor ClusterRole with SUPERVISOR_RULES but binds it nowhere without namespaces', () => {
    expect(rulesOf(one(objects, 'ClusterRole', 'fv-flinkvisor-supervisor'))).toEqual(SUPERVISOR_RULES);
    expect(
      ofKind(objects, 'RoleBinding').filter((b) => b.metadata?.name === 'fv-flinkvisor-supervisor'),
    ).toEqual([]);
    expect(ofKind(objects, 'ServiceAccount').map((s) => s.metadata?.name)).toEqual([OPERATOR]);
  });

  it('aggregates view and edit rights on the Flink resources into the built-in roles', () => {
    const view = one(objects, 'ClusterRole', 'fv-flinkvisor-view');
    const edit = one(objects, 'ClusterRole', 'fv-flinkvisor-edit');
    expect(rulesOf(view)).toEqual(USER_VIEW_RULES);
    expect(rulesOf(edit)).toEqual(USER_EDIT_RULES);
    expect(view.metadata?.labels).toMatchObject({ 'rbac.authorization.k8s.io/aggregate-to-view': 'true' });
    expect(edit.metadata?.labels).toMatchObject({ 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' });
    expect(edit.metadata?.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBeUndefined();
  });

  it('runs two non-root replicas with probes, resources, a read-only root and the RuntimeDefault seccomp profile', () => {
    const d = deployment(objects);
    const pod = d.spec?.template.spec;
    const container = pod?.containers[0];
    expect(d.spec?.replicas).toBe(2);
    expect(container?.image).toBe(`flinkvisor:${FLINKVISOR_VERSION}`);
    expect(pod?.serviceAccountName).toBe(OPERATOR);
    expect(pod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'monitoring' });
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'monitoring' });
    expect(container?.resources?.limits).toEqual({ cpu: '1', memory: '512Mi' });
    expect(container?.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(one(objects, 'PodDisruptionBudget', OPERATOR, NS)['spec']).toMatchObject({ minAvailable: 1 });
  });

  it('starts the operator like the plain manifests do: same environment, ports and probe paths', () => {
    const plain = operatorManifests({ namespace: NS, operatorArgs: ['--api-insecure-http'] }).find(
      (o) => o.kind === 'Deployment',
    ) as V1Deployment;
    const fromChart = deployment(objects).spec?.template.spec?.containers[0];
    const fromCode = plain.spec?.template.spec?.containers[0];
    const envNames = (c: typeof fromChart) => (c?.env ?? []).map((e) => e.name);
    expect(envNames(fromChart)).toEqual(expect.arrayContaining(envNames(fromCode)));
    expect(fromChart?.ports).toEqual(fromCode?.ports);
    expect(fromChart?.readinessProbe?.httpGet).toEqual(fromCode?.readinessProbe?.httpGet);
    expect(fromChart?.args?.slice(0, 2)).toEqual(['operator', 'run']);
    expect(fromChart?.args).toEqual(expect.arrayContaining(['--api-insecure-http', '--api-port=4444']));
  });

  it('exposes the API and monitoring ports on the Service and renders no ServiceMonitor unless asked', async () => {
    const service = one(objects, 'Service', OPERATOR, NS);
    expect((service['spec'] as { ports: { name: string; port: number }[] }).ports).toEqual([
      { name: 'api', port: 4444, targetPort: 'api' },
      { name: 'monitoring', port: 8080, targetPort: 'monitoring' },
    ]);
    expect(ofKind(objects, 'ServiceMonitor')).toEqual([]);
    const monitored = await render(local, { serviceMonitor: { enabled: true, labels: { release: 'prom' } } });
    const monitor = one(monitored, 'ServiceMonitor', OPERATOR, NS);
    expect(monitor.metadata?.labels?.['release']).toBe('prom');
    expect((monitor['spec'] as { endpoints: unknown[] }).endpoints).toEqual([
      { port: 'monitoring', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
    ]);
  });
});

describe('watching listed namespaces', () => {
  let objects: KubernetesObject[];
  beforeAll(async () => {
    objects = await render(local, {
      watchNamespaces: ['team-a', 'team-b'],
      supervisor: { namespaces: ['team-b', 'team-c'] },
    });
  }, HELM_TEST_TIMEOUT_MS);

  it('passes --namespaces and grants the namespaced operator rules by a RoleBinding in each', () => {
    expect(operatorArgs(objects)).toContain('--namespaces=team-a,team-b');
    expect(operatorArgs(objects)).not.toContain('--all-namespaces');
    const bindings = bindingsOf(objects, OPERATOR, NS);
    const perNamespace = bindings.filter((b) => b.metadata?.name === OPERATOR);
    expect(perNamespace.map((b) => `${b.kind}/${b.metadata?.namespace}`).sort()).toEqual([
      'RoleBinding/team-a',
      'RoleBinding/team-b',
    ]);
    for (const b of perNamespace) expect(grantedRules(objects, b)).toEqual(OPERATOR_NAMESPACED_RULES);
  });

  it('keeps only the cluster-scoped review rules in a ClusterRoleBinding', () => {
    const cluster = bindingsOf(objects, OPERATOR, NS).filter((b) => b.kind === 'ClusterRoleBinding');
    expect(cluster).toHaveLength(1);
    expect(grantedRules(objects, cluster[0] as Manifest)).toEqual(CONTROL_API_CLUSTER_RULES);
    expect(OPERATOR_NAMESPACED_RULES.some((r) => r.apiGroups?.includes('authentication.k8s.io'))).toBe(false);
  });

  it('gives each workload namespace the supervisor (SUPERVISOR_RULES there only) and a bootstrap without rights or token', () => {
    for (const ns of ['team-a', 'team-b', 'team-c']) {
      expect(one(objects, 'ServiceAccount', 'flinkvisor-supervisor', ns)).toBeDefined();
      const bindings = bindingsOf(objects, 'flinkvisor-supervisor', ns);
      expect(bindings.map((b) => `${b.kind}/${b.metadata?.namespace}`)).toEqual([`RoleBinding/${ns}`]);
      expect(grantedRules(objects, bindings[0] as Manifest)).toEqual(SUPERVISOR_RULES);
      const bootstrap = one(objects, 'ServiceAccount', 'flinkvisor-bootstrap', ns);
      expect(bootstrap['automountServiceAccountToken']).toBe(false);
      expect(bindingsOf(objects, 'flinkvisor-bootstrap', ns)).toEqual([]);
    }
    expect(ofKind(objects, 'ServiceAccount')).toHaveLength(7);
  });
});

describe('fleet mode (operator.embeddedSupervisors)', () => {
  it(
    'passes --embedded-supervisors and grants the operator SUPERVISOR_RULES where clusters run, nothing when off',
    async () => {
      const off = await render(local, { watchNamespaces: ['team-a'] });
      expect(operatorArgs(off)).not.toContain('--embedded-supervisors');
      const supervisorRole = (objects: readonly KubernetesObject[]) =>
        bindingsOf(objects, OPERATOR, NS).filter(
          (b) => (b['roleRef'] as { name: string }).name === 'fv-flinkvisor-supervisor',
        );
      expect(supervisorRole(off)).toEqual([]);

      const listed = await render(local, {
        operator: { embeddedSupervisors: true },
        watchNamespaces: ['team-a'],
        supervisor: { namespaces: ['team-b'] },
      });
      expect(operatorArgs(listed)).toContain('--embedded-supervisors');
      const perNamespace = supervisorRole(listed);
      expect(perNamespace.map((b) => `${b.kind}/${b.metadata?.namespace}`).sort()).toEqual([
        'RoleBinding/team-a',
        'RoleBinding/team-b',
      ]);
      for (const b of perNamespace) expect(grantedRules(listed, b)).toEqual(SUPERVISOR_RULES);

      const everywhere = await render(local, { operator: { embeddedSupervisors: true } });
      const cluster = supervisorRole(everywhere);
      expect(cluster.map((b) => b.kind)).toEqual(['ClusterRoleBinding']);
      expect(grantedRules(everywhere, cluster[0] as Manifest)).toEqual(SUPERVISOR_RULES);
    },
    HELM_TEST_TIMEOUT_MS,
  );
});

describe('the control API', () => {
  it(
    'mounts an existing TLS Secret and passes its files; client certificates when asked',
    async () => {
      const objects = await render({
        api: { tls: { secretName: 'api-tls', clientCa: true, requireClientCertificate: true } },
      });
      const pod = deployment(objects).spec?.template.spec;
      expect(operatorArgs(objects)).toEqual(
        expect.arrayContaining([
          '--api-tls-cert=/etc/flinkvisor/api-tls/tls.crt',
          '--api-tls-key=/etc/flinkvisor/api-tls/tls.key',
          '--api-client-ca=/etc/flinkvisor/api-tls/ca.crt',
          '--api-require-client-certificate',
        ]),
      );
      expect(operatorArgs(objects)).not.toContain('--api-insecure-http');
      expect(pod?.volumes?.find((v) => v.name === 'api-tls')?.secret).toEqual({
        secretName: 'api-tls',
        defaultMode: 0o440,
      });
      expect(pod?.containers[0]?.volumeMounts).toContainEqual({
        name: 'api-tls',
        mountPath: '/etc/flinkvisor/api-tls',
        readOnly: true,
      });
      const plain = await render({ api: { tls: { secretName: 'api-tls' } } });
      expect(operatorArgs(plain).filter((a) => a.startsWith('--api-'))).toEqual([
        '--api-port=4444',
        '--api-tls-cert=/etc/flinkvisor/api-tls/tls.crt',
        '--api-tls-key=/etc/flinkvisor/api-tls/tls.key',
        '--api-token-audience=flinkvisor',
      ]);
      const audienceOnly = await render({
        api: {
          tls: { secretName: 'api-tls' },
          authentication: { tokenAudience: 'flink-control', audienceOnly: true },
        },
      });
      expect(operatorArgs(audienceOnly)).toEqual(
        expect.arrayContaining(['--api-token-audience=flink-control', '--api-token-audience-only']),
      );
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it(
    'can be turned off, and then needs no TLS',
    async () => {
      const objects = await render({ api: { port: 0 } });
      expect(operatorArgs(objects)).toContain('--api-port=0');
      expect(deployment(objects).spec?.template.spec?.containers[0]?.ports).toEqual([
        { name: 'monitoring', containerPort: 8080 },
      ]);
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it(
    'refuses half-configured TLS with a message that says what to set',
    async () => {
      const failure = async (...values: object[]) => {
        const err = await render(...values).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(HelmError);
        return (err as HelmError).output;
      };
      expect(await failure({})).toMatch(
        /the control API needs TLS: set api.tls.secretName .* or api.insecureHttp=true .* or api.port=0/,
      );
      expect(await failure({ api: { insecureHttp: true, tls: { secretName: 's' } } })).toContain(
        'api.insecureHttp and api.tls.secretName exclude each other',
      );
      expect(await failure({ api: { tls: { secretName: 's', requireClientCertificate: true } } })).toContain(
        'api.tls.requireClientCertificate needs api.tls.clientCa=true',
      );
    },
    HELM_TEST_TIMEOUT_MS,
  );
});

describe('values the schema rejects', () => {
  it(
    'names the offending value',
    async () => {
      const cases: [object, RegExp][] = [
        [{ ...local, operator: { replicaCount: 0 } }, /operator\/replicaCount.*minimum/],
        [{ ...local, watchNamespaces: ['Not_A_Namespace'] }, /watchNamespaces\/0/],
        [{ ...local, watchNamespaces: ['a', 'a'] }, /watchNamespaces.*equal/],
        [{ ...local, unknownSetting: true }, /additional properties 'unknownSetting' not allowed/],
        [{ ...local, api: { insecureHttp: 'yes' } }, /api\/insecureHttp/],
      ];
      for (const [values, message] of cases) {
        const err = await render(values).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((err as HelmError).output).toMatch(message);
      }
    },
    HELM_TEST_TIMEOUT_MS,
  );
});
