/**
 * Installing the hook into Claude Code's project settings (`.claude/settings.json`) without
 * disturbing anything else in them.
 */
import { WardenError } from '../../errors.js';

/**
 * The hook command written into the settings. It runs the project's own install (never `npx`,
 * which is slow and, when the package is missing, fetches whatever the registry serves under the
 * bare name), and `|| exit 2` turns any other failure to start (not installed, killed, crashed)
 * into exit 2, which Claude Code treats as a block rather than a warning.
 */
export const HOOK_COMMAND = '"$CLAUDE_PROJECT_DIR"/node_modules/.bin/warden hook claude-code || exit 2';

/** What identifies a hook entry as ours, whatever its exact command line. */
const OUR_MARK = 'warden hook claude-code';

/** The events installed, and whether they take a tool matcher. */
export const INSTALLED_EVENTS: ReadonlyArray<{ event: string; matcher: boolean }> = Object.freeze([
  { event: 'PreToolUse', matcher: true },
  { event: 'PostToolUse', matcher: true },
  { event: 'PostToolUseFailure', matcher: true },
  { event: 'UserPromptSubmit', matcher: false },
]);

/**
 * The result of {@link mergeClaudeSettings}.
 *
 * @example
 * ```ts
 * const r: SettingsMerge = { text: '{\n  "hooks": {}\n}\n', added: ['PreToolUse'], present: [] };
 * ```
 */
export interface SettingsMerge {
  /** The new settings file text. */
  text: string;
  /** Events the hook was added to. */
  added: string[];
  /** Events that already had it (left as they were). */
  present: string[];
}

/**
 * Adds the Warden hook to Claude Code settings text: each event gets one matcher group running
 * {@link HOOK_COMMAND}, appended after the groups already there. Unknown keys and other hooks are
 * kept; an event that already runs `warden hook claude-code` is left alone, so running it twice
 * changes nothing.
 *
 * @example
 * ```ts
 * mergeClaudeSettings('{"model":"opus"}').added; // ['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'UserPromptSubmit']
 * ```
 * @throws WardenError `ERR_CLAUDE_SETTINGS` when the text is not a JSON object or its `hooks` are
 *   not shaped as Claude Code expects; nothing should be written then.
 */
export function mergeClaudeSettings(existing: string | null, command: string = HOOK_COMMAND): SettingsMerge {
  let settings: Record<string, unknown> = {};
  if (existing !== null && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing) as unknown;
    } catch (e) {
      throw settingsError(`is not valid JSON (${e instanceof Error ? e.message : String(e)}). Fix it (Claude Code would not read it either) and run warden init claude-code again`);
    }
    if (!isObject(parsed)) throw settingsError('must hold a JSON object');
    settings = parsed;
  }
  const hooks = settings.hooks ?? {};
  if (!isObject(hooks)) throw settingsError('has "hooks" that is not an object of events');
  const added: string[] = [];
  const present: string[] = [];
  for (const { event, matcher } of INSTALLED_EVENTS) {
    const groups = hooks[event] ?? [];
    if (!Array.isArray(groups)) throw settingsError(`has hooks.${event} that is not a list of matcher groups`);
    for (const [i, g] of groups.entries()) {
      if (!isObject(g) || (g.hooks !== undefined && !Array.isArray(g.hooks))) throw settingsError(`has hooks.${event}[${i}] that is not { "matcher": ..., "hooks": [...] }`);
    }
    if (groups.some(runsWarden)) {
      present.push(event);
      continue;
    }
    const group = { ...(matcher ? { matcher: '*' } : {}), hooks: [{ type: 'command', command }] };
    hooks[event] = [...groups, group];
    added.push(event);
  }
  settings.hooks = hooks;
  return { text: `${JSON.stringify(settings, null, 2)}\n`, added, present };
}

function runsWarden(group: unknown): boolean {
  if (!isObject(group) || !Array.isArray(group.hooks)) return false;
  return group.hooks.some((h) => isObject(h) && typeof h.command === 'string' && h.command.includes(OUR_MARK));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function settingsError(what: string): WardenError {
  return new WardenError('ERR_CLAUDE_SETTINGS', `.claude/settings.json ${what}.`);
}
