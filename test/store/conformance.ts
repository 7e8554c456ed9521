/**
 * The one conformance suite every store backend passes (memory, SQLite, PostgreSQL, Redis). Each
 * backend's test file calls {@link storeConformance} with a function that opens a fresh, empty
 * store on the given clock.
 */
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { storeKey } from '../../src/store/check.js';
import type { JsonValue, Store } from '../../src/store/types.js';

export type OpenStore = (clock: () => number) => Promise<Store>;

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof WardenError ? e.code : `not a WardenError: ${String(e)}`;
  }
  return 'resolved';
}

function nextMessage(store: Store, channel: string): { ready: Promise<() => Promise<void>>; message: Promise<string> } {
  let resolve!: (m: string) => void;
  const message = new Promise<string>((r) => (resolve = r));
  const ready = store.bus.subscribe(channel, (m) => resolve(m));
  return { ready, message };
}

export function storeConformance(name: string, open: OpenStore): void {
  describe(`${name} store: conformance`, () => {
    let t = 1_765_000_000_000;
    const clock = (): number => t;
    const fresh = async (): Promise<Store> => open(clock);

    describe('event log', () => {
      it('numbers a stream 1, 2, 3 and reads entries back equal, in order', async () => {
        const s = await fresh();
        const values: JsonValue[] = [{ kind: 'success', ts: 1 }, 'text with \u00e9 and \u{1f600}', [1, 2.5, -3, 9007199254740991], null, true, { nested: { deep: [{ a: 'b' }] } }];
        const seqs: number[] = [];
        for (const v of values) seqs.push(await s.log.append('trust:a', v));
        expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
        expect((await s.log.read('trust:a')).map((e) => e.data)).toEqual(values);
        expect((await s.log.read('trust:a')).map((e) => e.seq)).toEqual(seqs);
        await s.close();
      });

      it('reads after a seq, up to a limit', async () => {
        const s = await fresh();
        for (let i = 1; i <= 10; i++) await s.log.append('st', i);
        expect((await s.log.read('st', { after: 3, limit: 4 })).map((e) => e.data)).toEqual([4, 5, 6, 7]);
        expect(await s.log.read('st', { after: 10 })).toEqual([]);
        await s.close();
      });

      it('keeps streams apart, including names that differ only in an encoded separator', async () => {
        const s = await fresh();
        await s.log.append(storeKey('a:b', 'c'), 'first');
        await s.log.append(storeKey('a', 'b:c'), 'second');
        expect((await s.log.read(storeKey('a:b', 'c'))).map((e) => e.data)).toEqual(['first']);
        expect((await s.log.read(storeKey('a', 'b:c'))).map((e) => e.data)).toEqual(['second']);
        expect(await s.log.read('never-written')).toEqual([]);
        await s.close();
      });

      it('gives concurrent appends distinct, consecutive seqs', async () => {
        const s = await fresh();
        const seqs = await Promise.all(Array.from({ length: 40 }, (_, i) => s.log.append('race', i)));
        expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
        const read = await s.log.read('race');
        expect(read.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
        expect(new Set(read.map((e) => e.data)).size).toBe(40);
        await s.close();
      });

      it('refuses what is not JSON and names that are empty, too long or hold NUL', async () => {
        const s = await fresh();
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        expect(await code(s.log.append('x', cyclic as JsonValue))).toBe('ERR_STORE_DATA');
        expect(await code(s.log.append('x', Number.NaN))).toBe('ERR_STORE_DATA');
        expect(await code(s.log.append('x', (() => 1) as unknown as JsonValue))).toBe('ERR_STORE_DATA');
        expect(await code(s.log.append('', 1))).toBe('ERR_STORE_DATA');
        expect(await code(s.log.append('a\u0000b', 1))).toBe('ERR_STORE_DATA');
        expect(await code(s.log.append('k'.repeat(513), 1))).toBe('ERR_STORE_DATA');
        expect(await code(s.log.read('x', { limit: 0 }))).toBe('ERR_STORE_DATA');
        expect(await code(s.log.read('x', { after: -1 }))).toBe('ERR_STORE_DATA');
        expect(await code(s.log.read('x', { afterSeq: 1 } as never))).toBe('ERR_STORE_DATA');
        expect(await s.log.read('x')).toEqual([]);
        await s.close();
      });

      it('keeps __proto__ and constructor as ordinary data', async () => {
        const s = await fresh();
        const v = JSON.parse('{"__proto__":{"admin":true},"constructor":"x"}') as JsonValue;
        await s.log.append('__proto__', v);
        const [e] = await s.log.read('__proto__');
        expect(Object.keys(e?.data as object).sort()).toEqual(['__proto__', 'constructor']);
        expect(({} as Record<string, unknown>).admin).toBeUndefined();
        await s.close();
      });
    });

    describe('counters', () => {
      it('adds, reads 0 when absent, and deletes', async () => {
        const s = await fresh();
        expect(await s.counters.get('c')).toBe(0);
        expect(await s.counters.add('c', 5)).toEqual({ ok: true, value: 5 });
        expect(await s.counters.add('c', -2)).toEqual({ ok: true, value: 3 });
        expect(await s.counters.get('c')).toBe(3);
        await s.counters.delete('c');
        expect(await s.counters.get('c')).toBe(0);
        await s.close();
      });

      it('refuses an add past max or below min and leaves the value as it was', async () => {
        const s = await fresh();
        expect(await s.counters.add('b', 90, { max: 100 })).toEqual({ ok: true, value: 90 });
        expect(await s.counters.add('b', 11, { max: 100 })).toEqual({ ok: false, value: 90 });
        expect(await s.counters.add('b', 10, { max: 100 })).toEqual({ ok: true, value: 100 });
        expect(await s.counters.add('b', -101, { min: 0 })).toEqual({ ok: false, value: 100 });
        expect(await s.counters.get('b')).toBe(100);
        expect(await s.counters.add('fresh', 1, { max: 0 })).toEqual({ ok: false, value: 0 });
        expect(await s.counters.get('fresh')).toBe(0);
        await s.close();
      });

      it('raises the value to floor before adding (GCRA: 1 per 1000 ms, burst 3)', async () => {
        const s = await fresh();
        const T = 1000;
        const charge = (): Promise<{ ok: boolean; value: number }> => s.counters.add('gcra', T, { floor: t, max: t + 3 * T, ttlMs: 3 * T });
        const start = t;
        expect((await charge()).ok).toBe(true);
        expect((await charge()).ok).toBe(true);
        expect((await charge()).ok).toBe(true);
        expect(await charge()).toEqual({ ok: false, value: start + 3 * T });
        t += T; // one emission interval later, one more fits
        expect(await charge()).toEqual({ ok: true, value: start + 4 * T });
        expect((await charge()).ok).toBe(false);
        t += 10 * T; // long idle: the floor (now) wins over the stale arrival time, and the key has expired anyway
        expect(await charge()).toEqual({ ok: true, value: t + T });
        await s.close();
      });

      it('expires a counter ttlMs after its last successful add', async () => {
        const s = await fresh();
        await s.counters.add('e', 7, { ttlMs: 500 });
        t += 499;
        expect(await s.counters.get('e')).toBe(7);
        t += 1;
        expect(await s.counters.get('e')).toBe(0);
        expect(await s.counters.add('e', 1)).toEqual({ ok: true, value: 1 });
        await s.close();
      });

      it('lets exactly as many concurrent adds through as the max allows', async () => {
        const s = await fresh();
        const results = await Promise.all(Array.from({ length: 30 }, () => s.counters.add('race', 1, { max: 12 })));
        expect(results.filter((r) => r.ok)).toHaveLength(12);
        expect(await s.counters.get('race')).toBe(12);
        await s.close();
      });

      it('refuses non-integers, NaN, unknown options and results outside the safe integer range', async () => {
        const s = await fresh();
        for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, '1' as unknown as number, 2 ** 60]) {
          expect(await code(s.counters.add('n', bad))).toBe('ERR_STORE_DATA');
        }
        expect(await code(s.counters.add('n', 1, { max: 0.5 }))).toBe('ERR_STORE_DATA');
        expect(await code(s.counters.add('n', 1, { ttlMs: 0 }))).toBe('ERR_STORE_DATA');
        expect(await code(s.counters.add('n', 1, { maximum: 5 } as never))).toBe('ERR_STORE_DATA');
        await s.counters.add('n', Number.MAX_SAFE_INTEGER);
        expect(await code(s.counters.add('n', 1))).toBe('ERR_STORE_DATA');
        expect(await s.counters.get('n')).toBe(Number.MAX_SAFE_INTEGER);
        await s.close();
      });
    });

    describe('key-value', () => {
      it('sets and gets JSON values with increasing versions', async () => {
        const s = await fresh();
        expect(await s.kv.get('k')).toBeNull();
        const v1 = await s.kv.set('k', { a: 1 });
        const v2 = await s.kv.set('k', { a: 2 });
        expect(v2).toBeGreaterThan(v1);
        expect(await s.kv.get('k')).toEqual({ value: { a: 2 }, version: v2, expiresAt: null });
        await s.close();
      });

      it('compare-and-set writes only at the expected version, and creates only when absent', async () => {
        const s = await fresh();
        const v1 = await s.kv.compareAndSet('k', null, 'one');
        expect(v1).not.toBeNull();
        expect(await s.kv.compareAndSet('k', null, 'again')).toBeNull();
        const v2 = await s.kv.compareAndSet('k', v1, 'two');
        expect(v2).not.toBeNull();
        expect(await s.kv.compareAndSet('k', v1, 'stale')).toBeNull();
        expect((await s.kv.get('k'))?.value).toBe('two');
        await s.close();
      });

      it('lets exactly one of many concurrent creates win', async () => {
        const s = await fresh();
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.kv.compareAndSet('once', null, i)));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
        await s.close();
      });

      it('never gives a key a version it had before a delete (no ABA)', async () => {
        const s = await fresh();
        const v1 = await s.kv.set('k', 'a');
        expect(await s.kv.delete('k', v1)).toBe(true);
        const v2 = await s.kv.set('k', 'b');
        expect(v2).not.toBe(v1);
        expect(await s.kv.compareAndSet('k', v1, 'hijack')).toBeNull();
        expect((await s.kv.get('k'))?.value).toBe('b');
        await s.close();
      });

      it('deletes only at the expected version when one is given', async () => {
        const s = await fresh();
        const v1 = await s.kv.set('k', 1);
        await s.kv.set('k', 2);
        expect(await s.kv.delete('k', v1)).toBe(false);
        expect((await s.kv.get('k'))?.value).toBe(2);
        expect(await s.kv.delete('k')).toBe(true);
        expect(await s.kv.delete('k')).toBe(false);
        await s.close();
      });

      it('expires an entry ttlMs after the write; an expired entry is absent to compare-and-set', async () => {
        const s = await fresh();
        const v = await s.kv.set('x', 'v', { ttlMs: 1000 });
        expect((await s.kv.get('x'))?.expiresAt).toBe(t + 1000);
        t += 999;
        expect((await s.kv.get('x'))?.value).toBe('v');
        t += 1;
        expect(await s.kv.get('x')).toBeNull();
        expect(await s.kv.compareAndSet('x', v, 'late')).toBeNull();
        expect(await s.kv.compareAndSet('x', null, 'new')).not.toBeNull();
        expect((await s.kv.get('x'))?.value).toBe('new');
        await s.close();
      });

      it('refuses bad keys, values and options', async () => {
        const s = await fresh();
        expect(await code(s.kv.set('', 1))).toBe('ERR_STORE_DATA');
        expect(await code(s.kv.set('k', 1, { ttlMs: -5 }))).toBe('ERR_STORE_DATA');
        expect(await code(s.kv.set('k', 1, { ttl: 5 } as never))).toBe('ERR_STORE_DATA');
        expect(await code(s.kv.set('k', 'x'.repeat(1024 * 1024 + 1)))).toBe('ERR_STORE_DATA');
        expect(await s.kv.get('k')).toBeNull();
        await s.close();
      });
    });

    describe('broadcast', () => {
      it('delivers a message to the subscribers of its channel only, until they stop', async () => {
        const s = await fresh();
        const other: string[] = [];
        const stopOther = await s.bus.subscribe('other', (m) => other.push(m));
        const first = nextMessage(s, 'kill');
        const stop = await first.ready;
        await s.bus.publish('kill', 'epoch-1');
        expect(await first.message).toBe('epoch-1');
        await stop();
        const second = nextMessage(s, 'kill');
        const stop2 = await second.ready;
        await s.bus.publish('kill', 'epoch-2');
        expect(await second.message).toBe('epoch-2');
        expect(other).toEqual([]);
        await stop2();
        await stopOther();
        await s.close();
      });

      it('refuses a message over the size limit', async () => {
        const s = await fresh();
        expect(await code(s.bus.publish('c', 'x'.repeat(7001)))).toBe('ERR_STORE_DATA');
        await s.close();
      });
    });

    it('rejects every call after close with ERR_STORE_UNAVAILABLE', async () => {
      const s = await fresh();
      await s.close();
      expect(await code(s.kv.get('k'))).toBe('ERR_STORE_UNAVAILABLE');
      expect(await code(s.counters.add('k', 1))).toBe('ERR_STORE_UNAVAILABLE');
      expect(await code(s.log.append('k', 1))).toBe('ERR_STORE_UNAVAILABLE');
      expect(await code(s.bus.publish('k', 'm'))).toBe('ERR_STORE_UNAVAILABLE');
    });
  });
}
