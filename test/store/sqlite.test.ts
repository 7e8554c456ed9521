import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { storeConformance } from './conformance.js';
import { sreStateConformance } from './sre-conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-sqlite-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeConformance('sqlite', async (clock) => openSqliteStore({ path: join(dir, `s${++n}`, 'state.db'), clock }));
sreStateConformance('sqlite', async (clock) => openSqliteStore({ path: join(dir, `s${++n}`, 'state.db'), clock }));

describe('sqlite store', () => {
  it('is unavailable (ERR_STORE_UNAVAILABLE, naming the path) when the file is not a database', async () => {
    const { writeFileSync } = await import('node:fs');
    const path = join(dir, 'not-a-db');
    writeFileSync(path, 'this is not sqlite '.repeat(100));
    expect(() => openSqliteStore({ path })).toThrow(expect.objectContaining({ code: 'ERR_STORE_UNAVAILABLE', message: expect.stringContaining(path) }));
  });

  it('sees what another connection to the same file wrote', async () => {
    const path = join(dir, 'shared.db');
    const a = openSqliteStore({ path });
    const b = openSqliteStore({ path });
    await a.kv.set('k', 'from a');
    expect((await b.kv.get('k'))?.value).toBe('from a');
    await a.close();
    await b.close();
  });
});
