import { describe, expect, it } from 'vitest';
import type { CustomObject } from '../../../src/kube/custom-resource-client.ts';
import { FresherReads } from '../../../src/supervisor/fresher-reads.ts';

const at = (resourceVersion: string, phase: string): CustomObject => ({
  metadata: { name: 'sim', resourceVersion },
  status: { phase },
});

describe('FresherReads', () => {
  it('stands in for the cached object until the cache moves, then forgets the read', () => {
    const reads = new FresherReads();
    const cached = at('10', 'old');
    reads.remember('FlinkCluster/ns/sim', at('14', 'stored'), cached);
    expect(reads.pick('FlinkCluster/ns/sim', cached)?.status).toEqual({ phase: 'stored' });
    expect(reads.pick('FlinkCluster/ns/sim', cached)?.status).toEqual({ phase: 'stored' });
    // The watch caught up (or moved anywhere else): the cache is the truth again.
    const caughtUp = at('15', 'newest');
    expect(reads.pick('FlinkCluster/ns/sim', caughtUp)?.status).toEqual({ phase: 'newest' });
    expect(reads.pick('FlinkCluster/ns/sim', cached)?.status).toEqual({ phase: 'old' });
  });

  it('keeps nothing when the read is the cached version, and keys never mix', () => {
    const reads = new FresherReads();
    const cached = at('10', 'same');
    reads.remember('FlinkJob/ns/a', at('10', 'same'), cached);
    expect(reads.pick('FlinkJob/ns/a', cached)).toBe(cached);
    reads.remember('FlinkJob/ns/a', at('12', 'fresh'), cached);
    expect(reads.pick('FlinkJob/ns/b', cached)).toBe(cached);
    expect(reads.pick('FlinkJob/ns/a', undefined)).toBeUndefined();
  });
});
