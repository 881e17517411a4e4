import { describe, expect, it } from 'vitest';
import {
  canonicalPodAddress,
  hostPort,
  hostUrl,
  samePodAddress,
  urlHost,
} from '../../../src/kube/pod-address.ts';

describe('pod addresses in URLs and Host headers', () => {
  it.each([
    ['fd00::1', '[fd00::1]'],
    ['2001:db8::7', '[2001:db8::7]'],
    ['::1', '[::1]'],
    ['::ffff:10.0.0.5', '[::ffff:10.0.0.5]'],
    ['[fd00::1]', '[fd00::1]'],
    ['10.0.0.5', '10.0.0.5'],
    ['jobmanager-demo.flink', 'jobmanager-demo.flink'],
    ['localhost', 'localhost'],
  ])('writes the host %s as %s', (host, shown) => {
    expect(urlHost(host)).toBe(shown);
  });

  it('builds URLs the WHATWG parser reads back to the same host and port', () => {
    for (const [host, port] of [
      ['fd00::1', 8081],
      ['2001:db8:0:0:0:0:0:7', 4444],
      ['10.0.0.5', 8090],
      ['jobmanager-demo.flink', 8081],
    ] as const) {
      const url = new URL(hostUrl('http', host, port, '/overview'));
      expect(url.port).toBe(String(port));
      expect(url.pathname).toBe('/overview');
      expect(canonicalPodAddress(url.hostname) ?? url.hostname).toBe(canonicalPodAddress(host) ?? host);
    }
    expect(hostUrl('https', 'fd00::1', 4444)).toBe('https://[fd00::1]:4444');
    expect(hostPort('fd00::1', 8081)).toBe('[fd00::1]:8081');
    expect(hostPort('10.0.0.5', 8081)).toBe('10.0.0.5:8081');
  });

  it('reads an address in any spelling as Kubernetes writes pod IPs', () => {
    expect(canonicalPodAddress('fd00:0:0:0:0:0:0:1')).toBe('fd00::1');
    expect(canonicalPodAddress('FD00:0000::0001')).toBe('fd00::1');
    expect(canonicalPodAddress('[fd00::1]')).toBe('fd00::1');
    expect(canonicalPodAddress('::ffff:10.0.0.5')).toBe('10.0.0.5');
    expect(canonicalPodAddress('::ffff:a00:5')).toBe('10.0.0.5');
    expect(canonicalPodAddress('10.0.0.5')).toBe('10.0.0.5');
    // Not plain addresses: never guessed at.
    expect(canonicalPodAddress('2001')).toBeUndefined();
    expect(canonicalPodAddress('0x7f.1')).toBeUndefined();
    expect(canonicalPodAddress('fe80::1%eth0')).toBeUndefined();
    expect(canonicalPodAddress('jobmanager')).toBeUndefined();
    expect(canonicalPodAddress('')).toBeUndefined();
    expect(canonicalPodAddress(undefined)).toBeUndefined();
  });

  it('compares pod addresses across spellings', () => {
    expect(samePodAddress('fd00:0:0:0:0:0:0:1', 'fd00::1')).toBe(true);
    expect(samePodAddress('::ffff:10.0.0.5', '10.0.0.5')).toBe(true);
    expect(samePodAddress('fd00::1', 'fd00::2')).toBe(false);
    expect(samePodAddress(undefined, undefined)).toBe(false);
    expect(samePodAddress('jobmanager', 'jobmanager')).toBe(false);
  });
});
