import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { storeConformance } from './conformance.js';
import { sreStateConformance } from './sre-conformance.js';

storeConformance('memory', async (clock) => createMemoryStore({ clock }));
sreStateConformance('memory', async (clock) => createMemoryStore({ clock }));

describe('memory store bounds', () => {
  it('refuses a write when full of live entries (ERR_STORE_FULL), never evicting them', async () => {
    const s = createMemoryStore({ maxEntries: 3 });
    await s.kv.set('a', 1);
    await s.counters.add('b', 1);
    await s.log.append('c', 1);
    await expect(s.kv.set('d', 1)).rejects.toMatchObject({ code: 'ERR_STORE_FULL' });
    expect((await s.kv.get('a'))?.value).toBe(1);
    expect(await s.counters.add('b', 1)).toEqual({ ok: true, value: 2 });
  });

  it('drops expired entries to make room', async () => {
    let t = 0;
    const s = createMemoryStore({ maxEntries: 2, clock: () => t });
    await s.kv.set('a', 1, { ttlMs: 10 });
    await s.kv.set('b', 1);
    t = 10;
    await s.kv.set('c', 1);
    expect((await s.kv.get('c'))?.value).toBe(1);
  });

  it('rejects unknown options', () => {
    expect(() => createMemoryStore({ maxEntry: 3 } as never)).toThrow(WardenError);
  });
});
