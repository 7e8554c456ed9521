/** Names shared by the hook's light (client) and heavy (decision) modules. */

/** The tool name a prompt is decided under (with args `{ prompt }`). */
export const PROMPT_TOOL = 'UserPromptSubmit';

/** The agent id used when none is configured. */
export const DEFAULT_AGENT_ID = 'claude-code';
