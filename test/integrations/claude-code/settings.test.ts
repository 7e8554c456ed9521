/**
 * Installing the hook into .claude/settings.json: merged into what is there, never clobbering,
 * never duplicated, refused on settings that are not what Claude Code reads.
 */
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/errors.js';
import { HOOK_COMMAND, mergeClaudeSettings } from '../../../src/integrations/claude-code/settings.js';

const ours = (matcher: boolean): unknown => ({ ...(matcher ? { matcher: '*' } : {}), hooks: [{ type: 'command', command: HOOK_COMMAND }] });

describe('mergeClaudeSettings', () => {
  it('no settings file: the four events, nothing else', () => {
    const r = mergeClaudeSettings(null);
    expect(JSON.parse(r.text)).toEqual({
      hooks: { PreToolUse: [ours(true)], PostToolUse: [ours(true)], PostToolUseFailure: [ours(true)], UserPromptSubmit: [ours(false)] },
    });
    expect(r.added).toEqual(['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'UserPromptSubmit']);
    expect(r.present).toEqual([]);
    expect(r.text.endsWith('}\n')).toBe(true);
  });

  it('the command runs the project install and turns a failure to start into exit 2', () => {
    expect(HOOK_COMMAND).toBe('"$CLAUDE_PROJECT_DIR"/node_modules/.bin/warden hook claude-code || exit 2');
  });

  it('keeps unknown keys, permissions and other hooks, and appends ours after them', () => {
    const existing = {
      model: 'opus',
      permissions: { allow: ['Bash(npm test)'], deny: ['Read(.env)'] },
      hooks: {
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './lint.sh', timeout: 5 }] }],
        Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }],
      },
      futureKey: { nested: [1, 2, 3] },
    };
    const r = mergeClaudeSettings(JSON.stringify(existing));
    const merged = JSON.parse(r.text) as typeof existing & { hooks: Record<string, unknown[]> };
    expect(merged.model).toBe('opus');
    expect(merged.permissions).toEqual(existing.permissions);
    expect(merged.futureKey).toEqual(existing.futureKey);
    expect(merged.hooks.Stop).toEqual(existing.hooks.Stop);
    expect(merged.hooks.PreToolUse).toEqual([existing.hooks.PreToolUse[0], ours(true)]);
    expect(Object.keys(merged)).toEqual(['model', 'permissions', 'hooks', 'futureKey']);
  });

  it('running it again changes nothing', () => {
    const once = mergeClaudeSettings('{"model":"opus"}').text;
    const twice = mergeClaudeSettings(once);
    expect(twice.text).toBe(once);
    expect(twice.added).toEqual([]);
    expect(twice.present).toEqual(['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'UserPromptSubmit']);
  });

  it('an entry that already runs warden hook claude-code (any spelling around it) is not duplicated', () => {
    const existing = { hooks: { PreToolUse: [{ matcher: 'Bash|Edit', hooks: [{ type: 'command', command: 'npx warden hook claude-code --policy p.yaml' }] }] } };
    const r = mergeClaudeSettings(JSON.stringify(existing));
    expect((JSON.parse(r.text) as typeof existing).hooks.PreToolUse).toEqual(existing.hooks.PreToolUse);
    expect(r.present).toEqual(['PreToolUse']);
    expect(r.added).toEqual(['PostToolUse', 'PostToolUseFailure', 'UserPromptSubmit']);
  });

  it('empty text is an empty settings object', () => {
    expect(mergeClaudeSettings('  \n').added).toHaveLength(4);
  });

  const refused: Array<[string, string, string]> = [
    ['invalid JSON', '{ "hooks": { ', 'is not valid JSON'],
    ['JSON with comments', '{ // mine\n "model": "opus" }', 'is not valid JSON'],
    ['a list', '[]', 'must hold a JSON object'],
    ['a string', '"x"', 'must hold a JSON object'],
    ['hooks as a list', '{"hooks": []}', '"hooks" that is not an object'],
    ['an event that is not a list', '{"hooks": {"PreToolUse": {"matcher": "*"}}}', 'hooks.PreToolUse that is not a list'],
    ['a group that is not an object', '{"hooks": {"PostToolUse": ["x"]}}', 'hooks.PostToolUse[0]'],
    ['a group whose hooks is not a list', '{"hooks": {"UserPromptSubmit": [{"hooks": "x"}]}}', 'hooks.UserPromptSubmit[0]'],
  ];

  it.each(refused)('refuses %s with ERR_CLAUDE_SETTINGS', (_name, text, message) => {
    let caught: unknown;
    try {
      mergeClaudeSettings(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WardenError);
    expect((caught as WardenError).code).toBe('ERR_CLAUDE_SETTINGS');
    expect((caught as WardenError).message).toContain(message);
  });
});
