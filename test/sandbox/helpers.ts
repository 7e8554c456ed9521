/**
 * Shared set-up of the sandbox tests: whether real bubblewrap can run here (outside CI a missing
 * bwrap skips with a message; with CI=true it is a failure), the test policy, and a sandbox factory.
 */
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy } from '../../src/policy/compile.js';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { findBwrap } from '../../src/sandbox/host.js';

export const BWRAP = process.platform === 'linux' ? findBwrap() : null;
if (BWRAP === null && process.env.CI) throw new Error('bubblewrap (bwrap) is not installed; CI must run the sandbox tests (.ci/run installs the Debian package bubblewrap)');
if (BWRAP === null) console.warn('sandbox tests: skipped, bubblewrap is not installed (apt-get install bubblewrap)');
export const NO_BWRAP = BWRAP === null;

/**
 * The policy under test: network tools are denied by name; everything else is allowed, so the
 * escapes below reach the sandbox (a script, a Makefile, an npm script, a git hook hide what they
 * run from the command line's parser; the sandbox must still hold).
 */
export const POLICY_TEXT = `apiVersion: warden/v1
kind: Policy
name: sandbox-test
default: deny
facets:
  - tools: [bash]
    shell: { from: args.command }
rules:
  - name: unparsable
    tools: [bash]
    when: "!shell.parsed"
    effect: deny
    reason: The command could not be parsed
  - name: no-network-tools
    tools: [bash]
    when: "shell.names.exists(n, n in ['curl', 'wget', 'nc', 'ncat', 'netcat', 'socat', 'ssh', 'scp', 'telnet', 'busybox'])"
    effect: deny
    reason: Network tools are not available to the agent
  - name: allow-the-rest
    tools: [bash]
    effect: allow
`;

export function testPolicy() {
  return compilePolicy([{ name: 'sandbox-test.yaml', text: POLICY_TEXT }]);
}

/** A fresh directory (real path) under the host's temporary directory. */
export function freshDir(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** A sandbox over a fresh workspace with the test policy and an in-memory sink. */
export function makeSandbox(options: Partial<SandboxOptions> = {}): { sandbox: Sandbox; sink: MemorySink; workspace: string } {
  const sink = new MemorySink();
  const workspace = options.workspace ?? freshDir('warden-ws-');
  const sandbox = createSandbox({ pipeline: new Pipeline({ policy: testPolicy(), sink }), workspace, ...options });
  return { sandbox, sink, workspace };
}

/** Runs `command` as the `bash` tool. */
export function run(sandbox: Sandbox, command: string) {
  return sandbox.exec({ tool: 'bash', args: { command } });
}

/**
 * The egress tests' policy: every bash command allowed (the sandbox is what is under test), and for
 * the `egress` tool the test server allowed by name and address on `port`, `localhost` allowed by
 * name only on `nameOnlyPort` (its address is not: a name resolving to loopback), metadata denied.
 */
export function egressPolicy(port: number, nameOnlyPort: number, dflt: 'deny' | 'allow' = 'deny') {
  return compilePolicy([{ name: 'egress.yaml', text: egressPolicyText(port, nameOnlyPort, dflt) }]);
}

/** The text of {@link egressPolicy}. */
export function egressPolicyText(port: number, nameOnlyPort: number, dflt: 'deny' | 'allow' = 'deny'): string {
  return `apiVersion: warden/v1
kind: Policy
name: egress-test
default: ${dflt}
rules:
  - name: commands
    tools: [bash]
    effect: allow
  - name: no-metadata
    tools: [egress]
    when: "urls.exists(u, u.metadata)"
    effect: deny
    reason: Cloud metadata endpoints are never reachable
  - name: test-server
    tools: [egress]
    when: "urls.all(u, u.host in ['localhost', '127.0.0.1'] && u.port == ${port})"
    effect: allow
    reason: The test's own server
  - name: name-only
    tools: [egress]
    when: "urls.all(u, u.host == 'localhost' && u.port == ${nameOnlyPort})"
    effect: allow
    reason: Allowed by name only
`;
}
