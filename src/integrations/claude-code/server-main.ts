/**
 * Entry of the hook server process: `node server-main.js --socket <path> --idle-ms <ms>`.
 * Started (detached) by the first hook that finds no server; see server.ts.
 */
import { serveHooks } from './server.js';

const args = process.argv.slice(2);
const value = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const socketPath = value('--socket');
const idleMs = Number(value('--idle-ms') ?? 600_000);
if (socketPath === undefined || !Number.isSafeInteger(idleMs) || idleMs < 1) {
  process.stderr.write('usage: server-main.js --socket <path> [--idle-ms <ms>]\n');
  process.exit(2);
}
await serveHooks({ socketPath, idleMs });
process.exit(0);
