import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../src/cli/replay.js';

describe('the replay progress line', () => {
  function bar(total: number): { bar: ProgressBar; out: string[]; tick: (ms: number) => void } {
    let now = 1000;
    const out: string[] = [];
    return { bar: new ProgressBar(total, (s) => out.push(s), () => now), out, tick: (ms) => void (now += ms) };
  }

  it('shows percent of bytes, records, records/s and bytes read of the total', () => {
    const { bar: b, out, tick } = bar(200_000_000);
    tick(2000);
    b.bytes(50_000_000);
    expect(out).toEqual(['\r\u001b[2Kreplay [#####...............] 25%  0 records  0 records/s  50.0 MB of 200.0 MB']);
    tick(100);
    b.records(210_000);
    expect(out[1]).toBe('\r\u001b[2Kreplay [#####...............] 25%  210,000 records  100,000 records/s  50.0 MB of 200.0 MB');
  });

  it('redraws at most every 100 ms', () => {
    const { bar: b, out, tick } = bar(100);
    b.records(1);
    tick(50);
    b.records(2);
    b.bytes(10);
    tick(50);
    b.records(3);
    expect(out).toHaveLength(2);
    expect(out[1]).toContain(' 3 records');
  });

  it('caps the percentage at 100 when the log grew while reading, and erases its line once', () => {
    const { bar: b, out } = bar(100);
    b.bytes(150);
    expect(out[0]).toContain('[####################] 100%');
    b.clear();
    b.clear();
    expect(out.slice(1)).toEqual(['\r\u001b[2K']);
  });

  it('draws nothing and erases nothing when never updated', () => {
    const { bar: b, out } = bar(100);
    b.clear();
    expect(out).toEqual([]);
  });
});
