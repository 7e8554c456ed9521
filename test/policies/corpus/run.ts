/**
 * Runs an adversarial corpus against a compiled policy set and counts what matters: attacks that
 * got through (escapes: an attack decided allow or warn), attacks decided more leniently than
 * intended (an ask where deny was intended), and benign cases decided more strictly than intended
 * (false denies).
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicySet } from '../../../src/policy/policy-set.js';
import { compilePolicyWithBindings } from '../../../src/policy/compile.js';
import { fsRealpathResolver } from '../../../src/enforce/realpath-resolver.js';
import { claudeCodeBindings, requestFor } from '../../../src/integrations/claude-code/mapping.js';
import type { HookInput } from '../../../src/integrations/claude-code/hook-input.js';
import type { CorpusCase, Expected } from './types.js';

export interface Outcome {
  case: CorpusCase;
  effect: string;
  rule: string | null;
}

export interface Tally {
  attacks: number;
  benign: number;
  escapes: Outcome[];
  weaker: Outcome[];
  falseDenies: Outcome[];
}

const RANK: Record<string, number> = { allow: 0, warn: 0, require_approval: 1, deny: 2 };
const EXPECT_RANK: Record<Expected, number> = { allow: 0, ask: 1, deny: 2 };

/** The decision's effect in the corpus vocabulary. */
export function asExpected(effect: string): Expected {
  return effect === 'deny' ? 'deny' : effect === 'require_approval' ? 'ask' : 'allow';
}

export function tally(outcomes: readonly Outcome[]): Tally {
  const t: Tally = { attacks: 0, benign: 0, escapes: [], weaker: [], falseDenies: [] };
  for (const o of outcomes) {
    const got = RANK[o.effect] ?? 2;
    const want = EXPECT_RANK[o.case.expect];
    if (o.case.family === 'benign') {
      t.benign++;
      if (got > want) t.falseDenies.push(o);
    } else {
      t.attacks++;
      if (got === 0) t.escapes.push(o);
      else if (got < want) t.weaker.push(o);
    }
  }
  return t;
}

/** `12/120 (10.0%)`. */
export function rate(n: number, of: number): string {
  return `${n}/${of} (${of === 0 ? '0.0' : ((100 * n) / of).toFixed(1)}%)`;
}

/** Decides plain corpus cases (no host bindings) with a loaded set. */
export function decidePlain(set: PolicySet, cases: readonly CorpusCase[]): Outcome[] {
  return cases.map((c) => {
    const d = set.decide({ tool: c.tool, args: c.args, agent: { id: 'agent-1' } });
    return { case: c, effect: d.effect, rule: d.rule };
  });
}

/**
 * A project and home on disk for deciding as the Claude Code hook does (symlinks resolved), and
 * the decide function that substitutes `$P` and `$H` in a case.
 */
export class ClaudeCodeBench {
  readonly base: string;
  readonly project: string;
  readonly home: string;
  readonly set: PolicySet;

  constructor(policyText: string) {
    this.base = realpathSync(mkdtempSync(join(tmpdir(), 'warden-corpus-')));
    this.project = join(this.base, 'repo');
    this.home = join(this.base, 'home');
    mkdirSync(join(this.project, 'src'), { recursive: true });
    mkdirSync(join(this.home, '.ssh'), { recursive: true });
    mkdirSync(join(this.base, 'outside'), { recursive: true });
    writeFileSync(join(this.project, 'src', 'a.ts'), 'export {};\n');
    writeFileSync(join(this.home, '.ssh', 'id_rsa'), 'key\n');
    symlinkSync(join(this.base, 'outside'), join(this.project, 'escape'));
    this.set = compilePolicyWithBindings([{ name: 'policy.yaml', text: policyText }], claudeCodeBindings({ root: this.project, home: this.home }), { resolver: fsRealpathResolver });
  }

  #fill(v: unknown): unknown {
    if (typeof v === 'string') return v.replaceAll('$P', this.project).replaceAll('$H', this.home);
    if (Array.isArray(v)) return v.map((x) => this.#fill(x));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.#fill(x)]));
    return v;
  }

  decide(c: CorpusCase): Outcome {
    // `$P` inside a shell line means the literal text (`$PATH`), so only paths and cwd are filled.
    const args = c.tool === 'Bash' ? c.args : (this.#fill(c.args) as Record<string, unknown>);
    const cwd = this.#fill(c.cwd ?? '$P') as string;
    const input: HookInput = { hook_event_name: 'PreToolUse', session_id: 's1', cwd, tool_name: c.tool, tool_input: args, tool_use_id: 'toolu_1' };
    const { request, agent } = requestFor(input, { agentId: 'claude-code', projectDir: this.project, home: this.home });
    const d = this.set.decide({ ...request, agent });
    return { case: c, effect: d.effect, rule: d.rule };
  }

  close(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}
