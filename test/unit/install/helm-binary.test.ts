import { describe, expect, it } from 'vitest';
import { helmLdflags, HELM_VERSION } from '../../../src/devenv/helm-binary.ts';
import { chartHelm, HELM_SETUP_TIMEOUT_MS } from './chart-helm.ts';

describe('helm from the Go module proxy', () => {
  it('is stamped like a release build: its version, and the Kubernetes minor of its client-go', () => {
    const flags = helmLdflags('3.22.0', 'v0.37.0');
    expect(flags).toContain('-X helm.sh/helm/v3/internal/version.version=v3.22.0');
    expect(flags).toContain('-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37');
    expect(flags).toContain('-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1');
    expect(() => helmLdflags('3.22.0', 'v1.2.3')).toThrow(/unexpected k8s.io\/client-go version/);
  });

  it(
    'reports the pinned version',
    async () => {
      const helm = await chartHelm();
      try {
        expect((await helm.version()).trim()).toMatch(
          new RegExp(`^v${HELM_VERSION.replaceAll('.', '\\.')}\\b`),
        );
      } finally {
        await helm.dispose();
      }
    },
    HELM_SETUP_TIMEOUT_MS,
  );
});
