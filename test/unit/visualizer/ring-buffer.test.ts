import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../../src/visualizer/ring-buffer.ts';

describe('RingBuffer', () => {
  it('keeps items oldest first until full', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.toArray()).toEqual([]);
    expect(ring.last()).toBeUndefined();
    ring.push(1);
    ring.push(2);
    expect(ring.toArray()).toEqual([1, 2]);
    expect(ring.size).toBe(2);
    expect(ring.last()).toBe(2);
    expect(ring.dropped).toBe(0);
  });

  it('drops the oldest items once full and counts them', () => {
    const ring = new RingBuffer<number>(3);
    for (let i = 1; i <= 8; i += 1) ring.push(i);
    expect(ring.toArray()).toEqual([6, 7, 8]);
    expect(ring.size).toBe(3);
    expect(ring.dropped).toBe(5);
    expect(ring.last()).toBe(8);
  });

  it('works with a capacity of one', () => {
    const ring = new RingBuffer<string>(1);
    ring.push('a');
    ring.push('b');
    expect(ring.toArray()).toEqual(['b']);
    expect(ring.dropped).toBe(1);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
    expect(() => new RingBuffer(2.5)).toThrow(/positive integer/);
  });
});
