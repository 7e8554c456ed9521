/** What `warden init <target>` can write. Each target lives in its own module, loaded on demand. */

/** One thing `warden init` can scaffold. */
export interface InitTarget {
  description: string;
  /** Writes the files; returns the exit code. Never overwrites without `force`. */
  run(options: { dir: string; force: boolean }): Promise<number>;
}

/** Targets by name; `policy` is the default. */
export const INIT_TARGETS: Record<string, () => Promise<InitTarget>> = {
  policy: async () => (await import('./init-policy.js')).target,
  'claude-code': async () => (await import('./init-claude-code.js')).target,
};
