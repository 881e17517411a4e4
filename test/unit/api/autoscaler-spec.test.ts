import { describe, expect, it } from 'vitest';
import { autoscalerSpec, MIN_METRICS_WINDOW, parseDuration } from '../../../src/api/autoscaler.ts';

// The metricsWindow floor: two samples, taken every 15 s, must fit in the window, or the
// autoscaler collects metrics for ever. The CRD carries the same rule as CEL (fixtures corpus).

describe('autoscaler metricsWindow', () => {
  it('reads durations as Kubernetes writes them', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('5 min')).toBeNull();
  });

  it.each(['30s', '1m', '5m', '1h', '0m45s'])('accepts %s', (metricsWindow) => {
    expect(autoscalerSpec.safeParse({ enabled: true, metricsWindow }).success).toBe(true);
  });

  it.each(['29s', '15s', '0m', '0s'])('refuses %s, saying why', (metricsWindow) => {
    const result = autoscalerSpec.safeParse({ enabled: true, metricsWindow });
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.path.join('.') === 'metricsWindow');
    expect(issue?.message).toContain(`at least ${MIN_METRICS_WINDOW}`);
    expect(issue?.message).toContain('two metric samples');
  });

  it('defaults to 5m, which passes', () => {
    const parsed = autoscalerSpec.parse({ enabled: true });
    expect(parsed.metricsWindow).toBe('5m');
  });
});
