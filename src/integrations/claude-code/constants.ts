/** Names shared by the hook's light (client) and heavy (decision) modules. */

/** The tool name a prompt is decided under (with args `{ prompt }`). */
export const PROMPT_TOOL = 'UserPromptSubmit';

/** The agent id used when none is configured. */
export const DEFAULT_AGENT_ID = 'claude-code';

/** The default time limit of the hook's "run it for you" mode: under Claude Code's default hook timeout of 60 s, with room to answer. */
export const DEFAULT_SANDBOX_TIME_MS = 50_000;
