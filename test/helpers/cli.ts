/**
 * Builds the CLI from the current sources into a private temp dir (never dist/), and runs it as a
 * real child process. Shared by CLI tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Result of one CLI run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Compiles the CLI; returns the path of main.js and a cleanup function. */
export function buildCli(): { main: string; cleanup: () => void } {
  const build = mkdtempSync(join(tmpdir(), 'warden-cli-build-'));
  symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'), 'dir');
  symlinkSync(join(ROOT, 'examples'), join(build, 'examples'), 'dir');
  copyFileSync(join(ROOT, 'package.json'), join(build, 'package.json'));
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(build, 'dist')], { cwd: ROOT, encoding: 'utf8' });
  const main = join(build, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`the CLI did not build: ${main} is missing`);
  return { main, cleanup: () => rmSync(build, { recursive: true, force: true }) };
}

/** Runs the built CLI with arguments, optional standard input and working directory. */
export function runCli(main: string, args: string[], options: { input?: string; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
