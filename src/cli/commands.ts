/**
 * Every `warden` subcommand, loaded on demand: running one command imports only its module, so a
 * cold start (a hook invoked once per tool call) pays for nothing else.
 */
import type { Command } from 'commander';

/** A subcommand: its name and how to load its registration. */
export interface CommandEntry {
  name: string;
  load: () => Promise<(program: Command) => void>;
}

/** The subcommands, in the order help lists them. Add one line per command. */
export const COMMANDS: CommandEntry[] = [
  { name: 'check', load: async () => (await import('./check.js')).registerCheckCommand },
  { name: 'explain', load: async () => (await import('./explain.js')).registerExplainCommand },
  { name: 'test', load: async () => (await import('./test.js')).registerTestCommand },
  { name: 'lint', load: async () => (await import('./lint.js')).registerLintCommand },
  { name: 'diff', load: async () => (await import('./diff.js')).registerDiffCommand },
  { name: 'init', load: async () => (await import('./init.js')).registerInitCommand },
  { name: 'demo', load: async () => (await import('./demo.js')).registerDemoCommand },
  { name: 'audit', load: async () => (await import('./audit.js')).registerAuditCommand },
  { name: 'keygen', load: async () => (await import('./keygen.js')).registerKeygenCommand },
  { name: 'replay', load: async () => (await import('./replay.js')).registerReplayCommand },
  { name: 'mcp-proxy', load: async () => (await import('./mcp-proxy.js')).registerMcpProxyCommand },
  { name: 'mcp-pin', load: async () => (await import('./mcp-pin.js')).registerMcpPinCommand },
  { name: 'convert', load: async () => (await import('./convert.js')).registerConvertCommand },
  { name: 'hook', load: async () => (await import('./hook.js')).registerHookCommand },
];
