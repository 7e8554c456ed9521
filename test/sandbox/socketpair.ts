/** A connected pair of Unix stream sockets (what the supervisor's channel is), for tests of Warden's end of it. */
import { createServer, connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function socketpair(): Promise<[Socket, Socket]> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-pair-'));
  const path = join(dir, 's');
  const server = createServer();
  await new Promise<void>((r) => server.listen(path, r));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = connect(path);
  await new Promise<void>((r) => client.once('connect', () => r()));
  const ours = await accepted;
  server.close();
  rmSync(dir, { recursive: true, force: true });
  return [ours, client];
}
