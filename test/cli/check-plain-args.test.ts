/**
 * `warden check` without commander (parseCheckPlain, src/cli/check.ts): arguments in the plain form
 * give exactly the options commander gives them, and anything else is left to commander (null),
 * so usage errors, help and unusual spellings behave as before.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseCheckPlain, registerCheckCommand } from '../../src/cli/check.js';

/** What commander makes of `warden check <args>`: the options, or the error it exits with. */
async function commanderOptions(args: string[]): Promise<Record<string, unknown> | { error: string }> {
  const program = new Command();
  program.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerCheckCommand(program);
  let captured: Record<string, unknown> | null = null;
  const check = program.commands.find((c) => c.name() === 'check') as Command;
  check.exitOverride().action((opts: Record<string, unknown>) => {
    captured = { ...opts };
  });
  try {
    await program.parseAsync(['node', 'warden', 'check', ...args]);
  } catch (e) {
    return { error: (e as { code?: string }).code ?? String(e) };
  }
  return captured ?? { error: 'no action' };
}

// The plain forms: parsed here, and exactly as commander parses them.
const plain: string[][] = [
  ['-p', 'p.yaml', '-r', 'r.json'],
  ['--policy', 'p.yaml', '--request', 'r.json', '--json'],
  ['--json', '--policy', 'a.yaml', 'b.yaml', 'dir/', '--request', 'r.json'],
  ['-p', 'p.yaml', '--requests', 'batch.jsonl', '--now', '2026-01-01T00:00:00Z'],
  ['-p', 'p.yaml', '-r', 'r.json', '--audit', 'audit/', '--signing-key', 'k.pem'],
  ['-p', 'p.yaml'],
  ['-r', 'r.json', '-p', 'p.yaml', 'q.yaml'],
  ['-p', 'p.yaml', '-r', 'r.json', '--requests', 'b.jsonl'],
  // The paths run to the next option, whatever they are called.
  ['-p', 'p.yaml', 'constructor', '__proto__', 'toString', '-r', 'r.json'],
];

// Left to commander: repeats, inline values, values that look like options, help, unknown words, no policy.
const other: string[][] = [
  [],
  ['-r', 'r.json'],
  ['--policy=p.yaml', '-r', 'r.json'],
  ['-p', 'p.yaml', '-r', '-'],
  ['-p', 'p.yaml', '-p', 'q.yaml'],
  ['-p', 'p.yaml', '--json', '--json'],
  ['-p', '-r', 'r.json'],
  ['-p', 'p.yaml', '-r'],
  ['-p', 'p.yaml', '--now', '-5'],
  ['-p', 'p.yaml', '--bogus'],
  ['-p', 'p.yaml', '-h'],
  ['--help'],
  ['-p', 'p.yaml', '--', 'r.json'],
  ['-p', 'p.yaml', '-rr.json'],
  ['-pp.yaml'],
  ['-p', 'p.yaml', '--request', ''],
  ['-p', '', 'p.yaml'],
  ['-p', 'p.yaml', '--JSON'],
  ['-p', 'p.yaml', '--toString', 'x'],
  ['-p', 'p.yaml', '--constructor', 'x'],
  ['-p', 'p.yaml', '-r', 'r.json', 'constructor'],
  ['-p', 'p.yaml', '-r', 'r.json', 'extra'],
  ['-r', 'r.json', '__proto__', 'x'],
];

describe('warden check in its plain form', () => {
  it.each(plain.map((a) => [a.join(' '), a]))('parses %s as commander does', async (_, args) => {
    const ours = parseCheckPlain(args as string[]);
    expect(ours).not.toBeNull();
    expect({ ...ours }).toEqual(await commanderOptions(args as string[]));
  });

  it.each(other.map((a) => [a.join(' ') || '(nothing)', a]))('leaves %s to commander', (_, args) => {
    expect(parseCheckPlain(args as string[])).toBeNull();
  });
});
