/**
 * `warden init claude-code`: install the hook into `.claude/settings.json` (project scope) and
 * write a starter policy for coding agents to `.warden/policy.yaml`.
 */
import { mkdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InitTarget } from './init-targets.js';
import { EXIT } from './output.js';
import { exists } from './fs-util.js';
import { WardenError } from '../errors.js';
import { mergeClaudeSettings } from '../integrations/claude-code/settings.js';
import { CLAUDE_CODE_STARTER_POLICY } from '../integrations/claude-code/starter-policy.js';

/** Keeps the audit log and its HMAC secret out of version control. */
const WARDEN_GITIGNORE = '# The audit log and its HMAC secret stay on this machine.\naudit/\n';

/**
 * The `claude-code` init target. Settings are merged (never clobbered; invalid JSON is refused
 * and nothing is written); an existing policy is kept unless `--force`.
 *
 * @example
 * ```ts
 * const code = await target.run({ dir: '.', force: false }); // 0
 * ```
 */
export const target: InitTarget = {
  description: 'the Claude Code hook (.claude/settings.json) and a starter coding-agent policy (.warden/policy.yaml)',
  async run({ dir, force }) {
    const settingsPath = join(dir, '.claude', 'settings.json');
    const policyPath = join(dir, '.warden', 'policy.yaml');
    let existing: string | null = null;
    try {
      existing = await readFile(settingsPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new WardenError('ERR_CLAUDE_SETTINGS', `Cannot read ${settingsPath}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
    }
    let merged;
    try {
      merged = mergeClaudeSettings(existing);
    } catch (e) {
      console.error(`${settingsPath}: ${e instanceof Error ? e.message.replace(/^\.claude\/settings\.json /, '') : String(e)} Nothing was written.`);
      return EXIT.invalid;
    }
    const writePolicy = force || !(await exists(policyPath));
    if (merged.added.length > 0) {
      await mkdir(join(dir, '.claude'), { recursive: true });
      // Written beside and renamed over, so Claude Code never reads a half-written file; a
      // symlinked settings file is updated where it points, with its permissions kept.
      const target = existing === null ? settingsPath : await realpath(settingsPath);
      const temp = `${target}.warden-${process.pid}.tmp`;
      const mode = existing === null ? 0o644 : (await stat(target)).mode & 0o777;
      await writeFile(temp, merged.text, { mode });
      await rename(temp, target);
    }
    await mkdir(join(dir, '.warden'), { recursive: true });
    if (writePolicy) await writeFile(policyPath, CLAUDE_CODE_STARTER_POLICY, { mode: 0o644 });
    const gitignore = join(dir, '.warden', '.gitignore');
    if (!(await exists(gitignore))) await writeFile(gitignore, WARDEN_GITIGNORE, { mode: 0o644 });
    if (merged.added.length > 0) console.log(`Added the Warden hook to ${settingsPath} (${merged.added.join(', ')}).`);
    if (merged.present.length > 0) console.log(`${settingsPath} already runs the Warden hook for ${merged.present.join(', ')}; left as it was.`);
    console.log(writePolicy ? `Wrote ${policyPath}.` : `Kept the existing ${policyPath} (--force replaces it with the starter).`);
    if (!(await exists(join(dir, 'node_modules', '.bin', 'warden')))) {
      console.log('The hook runs node_modules/.bin/warden: install it in this project with  npm install --save-dev agent-warden');
    }
    console.log('Next: review the policy, then restart Claude Code (hooks load at start-up) and check /hooks.');
    return EXIT.ok;
  },
};
