/**
 * Shadow rollouts of shell commands in the real OS sandbox: a command production denies runs, but
 * only inside the sandbox (scratch workspace writable, nothing else; no network), and production's
 * decision is recorded.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Governor } from '../../src/enforce/governor.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { governedEnvironment } from '../../src/training/environment.js';
import { shadowShell } from '../../src/training/shadow-shell.js';
import { freshDir, NO_BWRAP } from '../sandbox/helpers.js';

const PRODUCTION = `apiVersion: warden/v1
kind: Policy
name: prod-shell
default: deny
facets:
  - tools: [bash]
    shell: { from: args.command }
rules:
  - name: no-deletes
    tools: [bash]
    when: "!shell.parsed || shell.names.exists(n, n == 'rm')"
    effect: deny
    reason: Nothing is deleted.
  - name: shell
    tools: [bash]
    effect: allow
`;

describe.skipIf(NO_BWRAP)('shadowShell', () => {
  const workspace = freshDir('warden-shadow-ws-');
  afterAll(() => {
    rmSync(workspace, { recursive: true, force: true });
  });
  const governor = new Governor({ policy: compilePolicy([{ name: 'prod.yaml', text: PRODUCTION }]) });

  it('runs a command production denies, inside the sandbox, and records the denial', async () => {
    writeFileSync(join(workspace, 'notes.txt'), 'x');
    const shell = shadowShell({ workspace });
    try {
      const ep = governedEnvironment({ bash: shell.tool }, { governor, mode: 'shadow', sandboxed: true, run: 'r' }).episode({ id: 'e' });
      const r = (await ep.tools.bash!({ command: 'rm notes.txt && echo removed' })) as { ran: boolean; exitCode: number; stdout: string };
      expect([r.ran, r.exitCode, r.stdout]).toEqual([true, 0, 'removed\n']);
      expect(existsSync(join(workspace, 'notes.txt'))).toBe(false);
      expect(ep.trajectory().calls[0]).toMatchObject({ decision: { effect: 'deny', rule: 'no-deletes' }, outcome: { status: 'ok' } });
    } finally {
      await shell.close();
    }
  });

  it('keeps a shadowed command from writing outside the scratch workspace', async () => {
    // /var/tmp exists on the host and is writable there; in the sandbox it is read-only.
    const leak = `/var/tmp/warden-shadow-leak-${process.pid}.txt`;
    const shell = shadowShell({ workspace });
    try {
      const ep = governedEnvironment({ bash: shell.tool }, { governor, mode: 'shadow', sandboxed: true, run: 'r' }).episode({ id: 'e2' });
      const r = (await ep.tools.bash!({ command: `echo leak > ${leak}` })) as { ran: boolean; exitCode: number; stderr: string };
      expect(r.ran).toBe(true);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/cannot create \/var\/tmp\/warden-shadow-leak/);
      expect(existsSync(leak)).toBe(false);
    } finally {
      rmSync(leak, { force: true });
      await shell.close();
    }
  });

  it('in enforce mode, does not run the denied command at all', async () => {
    writeFileSync(join(workspace, 'keep.txt'), 'x');
    const shell = shadowShell({ workspace });
    try {
      const ep = governedEnvironment({ bash: shell.tool }, { governor, mode: 'enforce', run: 'r' }).episode({ id: 'e3' });
      expect(await ep.tools.bash!({ command: 'rm keep.txt' })).toMatchObject({ denied: true, rule: 'no-deletes' });
      expect(existsSync(join(workspace, 'keep.txt'))).toBe(true);
    } finally {
      await shell.close();
    }
  });
});

describe('shadowShell without a sandbox', () => {
  it('refuses to run the command when bubblewrap is not there', async () => {
    const workspace = freshDir('warden-shadow-nobwrap-');
    const shell = shadowShell({ workspace, bwrap: '/nonexistent/bwrap' });
    try {
      const r = (await shell.tool({ command: 'echo hi' })) as { ran: boolean; error: string | null };
      expect(r.ran).toBe(false);
      expect(r.error).toMatch(/bwrap|bubblewrap|sandbox/i);
    } finally {
      await shell.close();
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});
