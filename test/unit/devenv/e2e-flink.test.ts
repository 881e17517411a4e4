// The e2e switch FLINKVISOR_E2E_FLINK: which Flink line the lifecycle e2e files run on.
import { describe, expect, it } from 'vitest';
import { flinkRelease } from '../../../src/devenv/versions.ts';
import { DEFAULT_IMAGE_MAP, resolveImage } from '../../../src/node-agent/image-resolver.ts';
import {
  DEFAULT_E2E_FLINK_LINE,
  E2E_FLINK_ENV,
  e2eFlink,
  e2eFlinkFor,
  parseE2eFlinkLine,
} from '../../support/e2e-flink.ts';
import { FLINK_LINES } from '../../support/flink-cluster.ts';

describe('the e2e Flink line switch', () => {
  it('defaults to 1.20 when unset or empty', () => {
    expect(DEFAULT_E2E_FLINK_LINE).toBe('1.20');
    expect(e2eFlink({}).line).toBe('1.20');
    expect(e2eFlink({ [E2E_FLINK_ENV]: '' }).line).toBe('1.20');
    expect(e2eFlink({ [E2E_FLINK_ENV]: ' ' }).line).toBe('1.20');
  });

  it('selects 2.3: its image, its example jars and the version Flink reports', () => {
    const flink = e2eFlink({ [E2E_FLINK_ENV]: '2.3' });
    expect(flink.line).toBe('2.3');
    expect(flink.image).toBe('flink:2.3');
    expect(flink.version).toBe(flinkRelease('2.3').version);
    expect(flink.jarPath()).toBe('/opt/flinkvisor/examples/2.3/TopSpeedWindowing.jar');
    expect(flink.jarPath('WordCount')).toBe('/opt/flinkvisor/examples/2.3/WordCount.jar');
  });

  it.each(FLINK_LINES)('gives %s an image the node agent runs on that same line', (line) => {
    const flink = e2eFlinkFor(line);
    expect(resolveImage(flink.image, DEFAULT_IMAGE_MAP)).toEqual({ kind: 'flink', line });
    expect(flink.version.startsWith(`${line}.`)).toBe(true);
  });

  it.each(['2', '2.0', '1.20.5', 'flink:2.3', 'latest'])(
    'refuses %j, naming the variable and the lines',
    (v) => {
      expect(() => parseE2eFlinkLine(v)).toThrow(E2E_FLINK_ENV);
      expect(() => parseE2eFlinkLine(v)).toThrow(/use one of 1\.20, 2\.3 \(default 1\.20\)/);
    },
  );
});
