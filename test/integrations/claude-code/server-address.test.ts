/**
 * The hook client sends an event only to a socket that is this user's own and that no one else can
 * write to: the socket's own owner and mode are checked, not only its directory's.
 */
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { socketIsOurs } from '../../../src/integrations/claude-code/server-address.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-sock-'));
const servers: Server[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

function listen(path: string): Promise<void> {
  const server = createServer();
  servers.push(server);
  return new Promise((resolve) => server.listen(path, resolve));
}

describe('socketIsOurs', () => {
  const modes: Array<{ mode: number; ours: boolean }> = [
    { mode: 0o600, ours: true },
    { mode: 0o700, ours: true },
    { mode: 0o660, ours: false },
    { mode: 0o606, ours: false },
    { mode: 0o777, ours: false },
  ];

  it.each(modes)('a socket of this user with mode $mode: $ours', async ({ mode, ours }) => {
    const path = join(dir, `s-${mode.toString(8)}.sock`);
    await listen(path);
    chmodSync(path, mode);
    expect(socketIsOurs(path)).toBe(ours);
  });

  it('a regular file where the socket should be is not a socket to use', () => {
    const path = join(dir, 'file.sock');
    writeFileSync(path, '', { mode: 0o600 });
    expect(socketIsOurs(path)).toBe(false);
  });

  it('a symlink to this user\'s socket is not used (it is not the socket itself)', async () => {
    const target = join(dir, 'real.sock');
    await listen(target);
    chmodSync(target, 0o600);
    const link = join(dir, 'link.sock');
    symlinkSync(target, link);
    expect(socketIsOurs(link)).toBe(false);
  });

  it('no socket: nothing to use', () => {
    expect(socketIsOurs(join(dir, 'missing.sock'))).toBe(false);
  });
});
