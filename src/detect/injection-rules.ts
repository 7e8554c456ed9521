/**
 * The instruction families, as data: each rule is a sequence of word classes with a bounded number
 * of other words allowed between consecutive classes. The matcher (match.ts) tries each rule only
 * at words of its first class and looks ahead a bounded window, so matching is linear in the
 * number of words.
 *
 * The families follow the published taxonomies of indirect prompt injection: OWASP LLM01 and the
 * agentic top ten's goal hijack (ASI01), Greshake et al. 2023 ("Not what you've signed up for"),
 * the StruQ/SecAlign attack phrasings ("ignore all instructions and rules above", "never mind, I
 * changed my mind, instead"), Invariant Labs' MCP tool-poisoning write-up (`<IMPORTANT>` blocks,
 * "do not mention this to the user", read `~/.ssh/id_rsa` and pass it as a parameter) and
 * Unicode-tag "ASCII smuggling". The words and weights are ours.
 */

/** A class of words: any of these, after folding and leetspeak. */
export type WordClass = readonly string[];

/** One rule: a sequence of classes, with at most `gaps[i]` other words between class i and i+1. */
export interface InjectionRule {
  id: string;
  family: 'override' | 'role' | 'system' | 'tool' | 'exfiltration' | 'secrecy' | 'leak' | 'hidden';
  weight: number;
  seq: readonly WordClass[];
  gaps: readonly number[];
  reason: string;
  /** The character after the last word (spaces skipped) must be a colon or a dash: a heading, not prose. */
  colon?: boolean;
  /** Also scanned for in tool definitions (poisoning); rules that read ordinary tool docs as attacks are not. */
  poisoning?: boolean;
  /**
   * The last word names a model (`AI`, `assistant`): the hit counts only when that name is the one
   * addressed, i.e. what follows the name (after more model words) is punctuation, the end, or a
   * word of ADDRESS_NEXT (`reading`, `processing`, `you`, `must`); "Hello AI enthusiasts" and
   * `message="The agent opens links` use the word as a modifier or a subject, and do not count.
   */
  addressee?: boolean;
}

function plural(...words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) out.push(w, /[^aeiou]y$/.test(w) ? `${w.slice(0, -1)}ies` : w.endsWith('s') ? `${w}es` : `${w}s`);
  return out;
}

const IGNORE: WordClass = ['ignore', 'ignoring', 'ignored', 'disregard', 'disregarding', 'forget', 'forgetting', 'override', 'overriding', 'bypass', 'abandon', 'discard', 'drop', 'neglect', 'skip', 'omit', 'nevermind', 'dismiss', 'erase', 'clear', 'reset', 'suspend', 'cancel', 'overwrite', 'supersede', 'supersedes', 'void'];
const PRIOR: WordClass = ['previous', 'previously', 'prior', 'above', 'earlier', 'preceding', 'all', 'any', 'your', 'existing', 'original', 'initial', 'system', 'developer', 'old', 'every', 'these', 'those', 'the', 'default', 'current', 'safety', 'given', 'other', 'whatever', 'my', 'our', 'their'];
const RULES: WordClass = [
  ...plural('instruction', 'prompt', 'rule', 'direction', 'guideline', 'guardrail', 'constraint', 'policy', 'command', 'order', 'restriction', 'filter', 'directive', 'limitation', 'boundary', 'guidance', 'protocol', 'principle', 'safeguard'),
  'programming', 'training', 'told', 'everything', 'ethics', 'moderation',
];
const NEW: WordClass = ['new', 'updated', 'revised', 'real', 'actual', 'true', 'correct', 'additional', 'urgent', 'important', 'priority', 'override', 'secret', 'hidden', 'special', 'latest', 'changed', 'different', 'following'];
const YOU: WordClass = ['you', 'your', 'assistant', 'ai', 'model', 'agent', 'llm', 'chatbot', 'bot', 'gpt', 'claude', 'copilot', 'gemini'];
const ARE_NOW: WordClass = ['now', 'henceforth', 'hereafter'];
const ROLE_NOUN: WordClass = ['dan', 'unrestricted', 'unfiltered', 'uncensored', 'jailbroken', 'jailbreak', 'evil', 'rogue', 'unlimited', 'unbound', 'unaligned', 'devmode', 'amoral', 'unethical', 'freegpt'];
const POWER_NOUN: WordClass = ['developer', 'admin', 'administrator', 'root', 'sudo', 'god', 'superuser', 'maintenance', 'debug'];
const MODE: WordClass = ['mode', 'persona', 'character', 'role', 'personality', 'version'];
const SYSTEM: WordClass = ['system', 'admin', 'administrator', 'developer', 'operator', 'root', 'security', 'openai', 'anthropic', 'vendor', 'platform'];
const SYS_NOUN: WordClass = [...plural('override', 'instruction', 'directive', 'command')];
const ATTENTION: WordClass = ['attention', 'attn', 'note', 'notice', 'message', 'instructions', 'instruction', 'dear', 'hey', 'hello', 'hi', 'psa', 'reminder', 'important', 'warning', 'memo', 'update', 'announcement', 'directive'];
const AI: WordClass = ['ai', 'assistant', 'assistants', 'llm', 'llms', 'model', 'models', 'agent', 'agents', 'chatbot', 'bot', 'gpt', 'claude', 'copilot', 'gemini', 'chatgpt', 'language'];
const IF_YOU: WordClass = ['if', 'when', 'whenever'];
const ARE_AN: WordClass = ['are', 'is', 'be', 're', 'reading', 'read', 'processing', 'process', 'parsing', 'summarizing', 'summarising'];
const SEND_OUT: WordClass = ['send', 'sending', 'forward', 'email', 'mail', 'post', 'upload', 'transmit', 'exfiltrate', 'leak', 'submit', 'deliver', 'relay'];
const SEND: WordClass = [...SEND_OUT, 'export', 'copy', 'paste', 'share', 'append', 'attach', 'include', 'embed', 'encode', 'pass', 'put', 'add', 'dump'];
const SECRETS: WordClass = [
  ...plural('password', 'credential', 'secret', 'token', 'key', 'cookie', 'session', 'passphrase', 'certificate', 'seed', 'mnemonic', 'wallet'),
  'id', 'rsa', 'ssh', 'env', 'dotenv', 'aws', 'apikey', 'apikeys', 'history', 'conversation', 'transcript', 'contacts', 'inbox', 'emails', 'memory', 'memories',
];
const OUTSIDE: WordClass = ['http', 'https', 'url', 'attacker', 'endpoint', 'webhook', 'external', 'ngrok', 'pastebin', 'requestbin', 'burpcollaborator', 'interactsh', 'collector', 'remote'];
const DEST: WordClass = [...OUTSIDE, 'to', 'address', 'server', 'domain', 'site', 'link', 'at'];
const REVEAL: WordClass = ['reveal', 'print', 'show', 'output', 'repeat', 'display', 'disclose', 'tell', 'echo', 'leak', 'dump', 'recite', 'spell'];
const YOUR_SYS: WordClass = ['system', 'initial', 'original', 'hidden', 'secret', 'internal', 'full', 'your', 'developer', 'exact', 'above', 'previous', 'confidential'];
const PROMPT: WordClass = [...plural('prompt', 'instruction', 'message', 'configuration', 'directive', 'rule', 'guideline'), 'verbatim', 'preprompt'];
const DONT: WordClass = ['not', 'don', 'dont', 'never', 'without', 'avoid', 'no', 'nor'];
const TELL: WordClass = ['tell', 'telling', 'mention', 'mentioning', 'inform', 'informing', 'notify', 'notifying', 'alert', 'alerting', 'reveal', 'revealing', 'disclose', 'disclosing', 'warn', 'warning', 'show', 'showing', 'let', 'letting', 'say', 'saying', 'explain', 'report', 'reporting', 'ask', 'asking', 'confirm', 'confirming'];
const USER: WordClass = ['user', 'users', 'human', 'humans', 'operator', 'customer', 'person', 'anyone', 'them', 'him', 'her', 'owner', 'recipient', 'requester'];
const TOOLV: WordClass = ['call', 'invoke', 'use', 'run', 'execute', 'trigger', 'launch', 'fire'];
const TOOLN: WordClass = [...plural('tool', 'function'), 'send', 'email', 'bash', 'shell', 'terminal', 'curl', 'wget', 'fetch', 'browser', 'http', 'python', 'exec', 'transfer'];
const IMMEDIATELY: WordClass = ['immediately', 'now', 'instead', 'silently', 'quietly', 'secretly', 'automatically', 'right', 'asap', 'straight', 'urgently'];
const READ: WordClass = ['read', 'reading', 'cat', 'open', 'load', 'access', 'fetch', 'get', 'retrieve', 'grab', 'collect', 'extract', 'obtain', 'view', 'list', 'dump', 'print', 'contents', 'content'];
const SENSITIVE: WordClass = ['ssh', 'id', 'rsa', 'ed25519', 'env', 'dotenv', 'aws', 'credentials', 'credential', 'passwd', 'shadow', 'kube', 'kubeconfig', 'npmrc', 'pypirc', 'netrc', 'gitconfig', 'cursor', 'mcp', 'keychain', 'wallet', 'secrets', 'secret', 'password', 'passwords', 'token', 'tokens', 'private', 'bash_history', 'history', 'cookies'];
const INSTEAD: WordClass = ['instead', 'rather'];
const NEVERMIND: WordClass = ['never', 'nevermind', 'changed', 'scratch', 'actually', 'wait', 'oops', 'sorry', 'correction'];
const MIND: WordClass = ['mind', 'that', 'this', 'above', 'instead', 'please'];
const FROM: WordClass = ['from'];
const ON: WordClass = ['on', 'forward', 'forth'];
const MUST: WordClass = ['must', 'will', 'shall', 'should', 'need', 'have', 'are', 'only', 'always', 'may', 'can'];
const STOP: WordClass = ['stop', 'cease', 'quit', 'halt', 'end'];
const FOLLOW: WordClass = ['follow', 'following', 'obey', 'obeying', 'answer', 'answering', 'summarizing', 'summarising', 'translating', 'doing', 'being', 'acting', 'responding', 'what', 'your', 'the'];
const ACT: WordClass = ['act', 'pretend', 'roleplay', 'behave', 'simulate', 'impersonate', 'become', 'switch', 'enter', 'enable', 'activate', 'unlock'];
const AS: WordClass = ['as', 'to', 'into', 'like', 'being'];
const INTO: WordClass = ['as', 'into', 'here', 'field', 'parameter', 'argument', 'param', 'arg'];
const END: WordClass = ['end', 'close', 'stop', 'finish', 'terminate'];
const OFDATA: WordClass = ['of', 'the', 'this'];
const DATA: WordClass = ['document', 'data', 'input', 'context', 'prompt', 'instructions'];
const BEFORE: WordClass = ['before', 'prior', 'first', 'whenever', 'after', 'each', 'every'];
const USING: WordClass = ['using', 'calling', 'use', 'call', 'invoking', 'running', 'answering', 'responding', 'any', 'this', 'other'];
const THIS_TOOL: WordClass = ['tool', 'tools', 'function', 'functions', 'request', 'task', 'command', 'operation', 'query', 'action'];
const OTHERWISE: WordClass = ['otherwise', 'or'];
const FAIL: WordClass = ['fail', 'fails', 'crash', 'break', 'error', 'work', 'function'];

const EARLIER: WordClass = ['previous', 'prior', 'earlier', 'original', 'above', 'initial', 'preceding', 'your', 'old', 'first'];
const TASK_WORDS: WordClass = [...plural('prompt', 'instruction', 'direction', 'guideline', 'rule', 'task', 'assignment', 'order', 'directive', 'request'), 'conversation', 'context', 'guidance', 'line'];
const RETRACTED: WordClass = ['mistake', 'warm', 'cancelled', 'test', 'cancelled', 'canceled', 'void', 'outdated', 'obsolete', 'superseded', 'revoked', 'withdrawn', 'fake', 'irrelevant', 'decoy', 'joke'];
const BE: WordClass = ['as', 'was', 'is', 'were', 'are', 'has', 'have', 'been', 'now', 'all', 'just', 'only'];
const PERSON: WordClass = ['user', 'users', 'human', 'customer', 'requester', 'person', 'operator', 'reader'];
const ASKED: WordClass = [...plural('question', 'request', 'query', 'instruction', 'prompt', 'task', 'message', 'wish'), 'helping', 'serving', 'assisting'];
const COLLECT: WordClass = ['gather', 'collect', 'harvest', 'grab', 'extract', 'find', 'scrape', 'compile', 'retrieve', 'locate', 'search', 'take', 'pull', 'copy'];

// Paraphrase families (issue 17): each needs a second, agent-specific word, so a single imperative
// addressed to a person ("Inform the customer that ...", "Run pip install ...") does not count.
const DISMISSED: WordClass = ['not', 'irrelevant', 'unimportant', 'secondary', 'cancelled', 'canceled', 'void', 'obsolete', 'outdated', 'moot'];
const GAVE: WordClass = ['asked', 'gave', 'told', 'sent', 'requested', 'assigned', 'instructed'];
const PRECEDE: WordClass = [...IGNORE, 'precedence', 'priority', 'overrides', 'outranks', 'replaces'];
const TASK_NOUN: WordClass = ['task', 'tasks', 'request', 'requests', 'question', 'assignment', 'job', 'goal'];
const AI_TASK: WordClass = ['summarising', 'summarizing', 'translating', 'answering', 'replying', 'responding', 'reviewing', 'analysing', 'analyzing', 'completing', 'processing'];
const MATERIAL: WordClass = ['thread', 'email', 'message', 'document', 'page', 'text', 'ticket', 'article', 'question', 'request', 'task', 'file', 'review', 'issue'];
const REPLY: WordClass = ['reply', 'replies', 'answer', 'answers', 'response', 'responses', 'summary', 'summaries', 'output'];
const CLAIM: WordClass = ['recommends', 'recommend', 'says', 'say', 'mentions', 'mention', 'includes', 'states', 'claims', 'claim', 'promotes', 'endorses', 'describes', 'calls', 'tells', 'praises', 'warns'];
const PROMOTE: WordClass = ['recommends', 'recommend', 'promotes', 'promote', 'endorses', 'endorse', 'praises', 'claims', 'claim', 'calls', 'warns', 'tells', 'insists'];
const LIFTED: WordClass = ['suspended', 'lifted', 'disabled', 'removed', 'revoked', 'waived', 'deactivated', 'off', 'paused', 'void'];
const QUALITY: WordClass = ['content', 'safety', 'ethical', 'usage', 'moderation', 'alignment', 'guardrail'];
const SHARE: WordClass = [...REVEAL, 'quote', 'share', 'reproduce', 'restate', 'paste', 'copy', 'write', 'provide', 'include'];
const SETUP: WordClass = ['exact', 'confidential', 'hidden', 'secret', 'initial', 'original', 'setup', 'system', 'full', 'starting', 'first'];
const SETUP_NOUN: WordClass = [...plural('instruction', 'prompt', 'message', 'directive', 'rule', 'guideline'), 'configuration'];
const RECEIVED: WordClass = ['were', 'was', 'received', 'got', 'have', 'started', 'given', 'initialized', 'configured'];
const LIMITS: WordClass = [...RULES, 'limits', 'morals', 'restrictions', 'filters', 'boundaries', 'limitations'];
const PII: WordClass = ['email', 'address', 'addresses', 'card', 'cards', 'phone', 'ssn', 'passport', 'iban', 'pii', ...SECRETS];
const LINK_OUT: WordClass = [...OUTSIDE, 'link', 'cc', 'bcc', 'query'];
const THEM: WordClass = ['it', 'them', 'this', 'these', 'those', 'everything', 'all'];
const HARM: WordClass = ['delete', 'remove', 'wipe', 'erase', 'destroy', 'overwrite', 'transfer', 'grant', 'download', 'install', 'exfiltrate', 'upload', 'disable', 'truncate', 'purge'];
const WHOEVER: WordClass = ['whoever', 'whatever', 'anyone', 'anybody'];
const PROCESSES: WordClass = ['processes', 'parses', 'summarizes', 'summarises', 'ingests', 'handles', 'processing', 'parsing', 'ingesting'];

/** Every rule. Weights: at or above 0.5 a single hit is a detection (the default threshold). */
export const INJECTION_RULES: readonly InjectionRule[] = [
  // override: replace the instructions the model already has.
  { id: 'override.ignore-prior', family: 'override', weight: 0.9, seq: [IGNORE, PRIOR, RULES], gaps: [3, 3], reason: 'asks the model to ignore, forget or override its earlier instructions', poisoning: true },
  { id: 'override.ignore-rules', family: 'override', weight: 0.75, seq: [IGNORE, RULES], gaps: [1], reason: 'asks the model to ignore its instructions or rules', poisoning: true },
  { id: 'override.new-instructions', family: 'override', weight: 0.6, seq: [NEW, PROMPT], gaps: [1], colon: true, reason: 'announces new or updated instructions for the model' },
  { id: 'override.new-task', family: 'override', weight: 0.6, seq: [['your'], ['new', 'real', 'actual', 'true', 'only', 'updated', 'next'], ['task', 'job', 'goal', 'objective', 'mission', 'purpose', 'instructions', 'orders', 'assignment']], gaps: [0, 0], reason: 'gives the model a new task in place of its own' },
  { id: 'override.stop-following', family: 'override', weight: 0.7, seq: [STOP, FOLLOW, RULES], gaps: [1, 3], reason: 'asks the model to stop following its instructions', poisoning: true },
  { id: 'override.nevermind-instead', family: 'override', weight: 0.7, seq: [NEVERMIND, MIND, INSTEAD], gaps: [3, 6], reason: 'retracts the task and substitutes another ("never mind ... instead")' },
  { id: 'override.prior-retracted', family: 'override', weight: 0.6, seq: [EARLIER, TASK_WORDS, BE, RETRACTED], gaps: [1, 4, 2], reason: 'declares the model\'s earlier prompt or task a test, cancelled or void' },
  { id: 'override.ignore-user', family: 'override', weight: 0.7, seq: [IGNORE, PERSON, ASKED], gaps: [2, 3], reason: 'asks the model to ignore the user it is working for', poisoning: true },
  { id: 'override.whatever-asked', family: 'override', weight: 0.6, seq: [['whatever'], ['asked', 'told', 'instructed', 'given', 'requested'], PRECEDE], gaps: [3, 7], reason: 'tells the model to drop whatever it was asked to do', poisoning: true },
  { id: 'override.set-aside', family: 'override', weight: 0.7, seq: [['set', 'put', 'lay', 'leave', 'push'], ['aside', 'behind'], PRIOR, RULES], gaps: [0, 3, 3], reason: 'asks the model to set its instructions aside', poisoning: true },
  { id: 'override.end-of-data', family: 'override', weight: 0.4, seq: [END, OFDATA, DATA], gaps: [0, 2], reason: 'claims the data has ended and instructions begin', poisoning: true },
  // Paraphrased overrides, hijacks and output manipulation (issue 17).
  { id: 'override.pay-no-attention', family: 'override', weight: 0.75, seq: [['pay', 'paying', 'give', 'giving'], ['no', 'zero'], ['attention', 'heed', 'regard', 'mind'], PRIOR, RULES], gaps: [0, 1, 1, 3], reason: 'asks the model to pay no attention to its instructions', poisoning: true },
  { id: 'override.user-request-dismissed', family: 'override', weight: 0.7, seq: [PERSON, GAVE, ['you'], ['is', 'was', 'are', 'were', 'doesn', 'does'], DISMISSED], gaps: [0, 0, 2, 2], reason: 'tells the model the request the user gave it does not matter', poisoning: true },
  { id: 'override.ignore-given-task', family: 'override', weight: 0.75, seq: [IGNORE, PRIOR, TASK_NOUN, ['you'], RECEIVED], gaps: [3, 2, 0, 1], reason: 'asks the model to drop the task it was given', poisoning: true },
  { id: 'override.instead-of-task', family: 'override', weight: 0.6, seq: [['rather', 'instead'], ['than', 'of'], AI_TASK, ['this', 'the', 'that'], MATERIAL], gaps: [0, 0, 0, 1], reason: 'replaces the model\'s task on this text with another ("rather than summarising this thread")' },
  { id: 'override.whoever-processes', family: 'system', weight: 0.65, seq: [WHOEVER, PROCESSES, ['this', 'these', 'the']], gaps: [0, 0], reason: 'addresses whatever program processes this text' },
  { id: 'override.close-reply-with', family: 'override', weight: 0.6, seq: [['close', 'end', 'finish', 'begin', 'start', 'conclude', 'open', 'sign', 'prefix'], ['your', 'every', 'each'], REPLY, ['with', 'by']], gaps: [0, 1, 0], reason: 'dictates how the model must end or begin its reply' },
  { id: 'override.reply-must-claim', family: 'override', weight: 0.6, seq: [['make', 'ensure', 'ensuring'], ['sure', 'that'], ['your', 'every', 'each'], REPLY, PROMOTE], gaps: [0, 1, 1, 1], reason: 'dictates what the model\'s reply or summary must say' },
  { id: 'override.every-answer-say', family: 'override', weight: 0.6, seq: [['every', 'each', 'all', 'any'], REPLY, ['you'], ['give', 'write', 'produce', 'send', 'generate', 'make'], CLAIM], gaps: [0, 0, 0, 5], reason: 'dictates what every answer the model gives must say' },
  { id: 'role.assistant-without-rules', family: 'role', weight: 0.6, seq: [AI, ['who', 'that', 'with', 'without', 'has', 'having'], ['no', 'zero', 'any'], LIMITS], gaps: [0, 2, 1], reason: 'makes the model an assistant with no rules or limits', poisoning: true },
  { id: 'system.restrictions-suspended', family: 'system', weight: 0.7, seq: [QUALITY, LIMITS, ['are', 'is', 'have', 'has', 'been', 'now'], LIFTED], gaps: [1, 0, 2], reason: 'claims the model\'s content or safety restrictions have been suspended', poisoning: true },
  { id: 'tool.use-tool-to-harm', family: 'tool', weight: 0.55, seq: [TOOLV, TOOLN, ['to'], HARM], gaps: [3, 0, 0], reason: 'tells the agent to use a tool to delete, transfer, install or grant something' },
  { id: 'exfiltration.collect-to-link', family: 'exfiltration', weight: 0.7, seq: [COLLECT, PII, SEND, LINK_OUT], gaps: [3, 10, 6], reason: 'asks the model to gather addresses, card numbers or secrets and put them into a link or outside address', poisoning: true },
  { id: 'exfiltration.secret-mail-it', family: 'exfiltration', weight: 0.7, seq: [SECRETS, SEND_OUT, THEM, DEST], gaps: [3, 0, 0], reason: 'asks the model to send something that looks like a secret somewhere', poisoning: true },
  { id: 'leak.setup-you-received', family: 'leak', weight: 0.65, seq: [SHARE, SETUP, SETUP_NOUN, ['you'], RECEIVED], gaps: [2, 4, 0, 1], reason: 'asks the model to reveal the instructions or setup message it was started with', poisoning: true },
  // role: change who the model is.
  { id: 'role.you-are-now', family: 'role', weight: 0.55, seq: [YOU, ARE_NOW, ROLE_NOUN], gaps: [2, 4], reason: 'tells the model it is now an unrestricted or other persona', poisoning: true },
  { id: 'role.mode', family: 'role', weight: 0.8, seq: [ROLE_NOUN, MODE], gaps: [0], reason: 'switches the model into a DAN, jailbroken or unrestricted mode', poisoning: true },
  { id: 'role.power-mode', family: 'role', weight: 0.45, seq: [ACT, POWER_NOUN, MODE], gaps: [1, 0], reason: 'switches the model into a developer or administrator mode', poisoning: true },
  { id: 'role.power-access', family: 'role', weight: 0.55, seq: [['pretend', 'roleplay', 'imagine', 'simulate', 'impersonate'], AS, POWER_NOUN], gaps: [1, 2], reason: 'asks the model to pretend it has administrator or root powers', poisoning: true },
  { id: 'role.unfiltered-output', family: 'role', weight: 0.5, seq: [['respond', 'answer', 'reply', 'output', 'write', 'generate', 'give', 'produce', 'speak'], ['unfiltered', 'uncensored', 'unrestricted', 'raw', 'unmoderated', 'jailbroken'], ['output', 'response', 'responses', 'answer', 'answers', 'version', 'text', 'content', 'reply']], gaps: [3, 1], reason: 'asks the model for unfiltered or uncensored output', poisoning: true },
  { id: 'role.act-as', family: 'role', weight: 0.55, seq: [ACT, AS, ROLE_NOUN], gaps: [1, 3], reason: 'asks the model to act as an unrestricted persona', poisoning: true },
  { id: 'role.from-now-on', family: 'role', weight: 0.55, seq: [FROM, ARE_NOW, ON, YOU, MUST], gaps: [0, 0, 2, 2], reason: 'changes how the model must behave "from now on"', poisoning: true },
  // system: a claim of authority addressed to the model.
  { id: 'system.override-claim', family: 'system', weight: 0.6, seq: [SYSTEM, SYS_NOUN], gaps: [1], reason: 'claims to be a system, administrator or developer instruction' },
  { id: 'system.rules-changed', family: 'system', weight: 0.6, seq: [SYSTEM, ['has', 'have', 'just'], ['changed', 'updated', 'replaced', 'revoked', 'disabled', 'lifted', 'removed'], ['your', 'the', 'all'], RULES], gaps: [1, 1, 0, 2], reason: 'claims an authority has changed the model\'s rules' },
  { id: 'system.addressed-to-ai', family: 'system', weight: 0.7, seq: [ATTENTION, AI], gaps: [2], addressee: true, reason: 'addresses the AI model reading this text directly', poisoning: true },
  { id: 'system.if-you-are-ai', family: 'system', weight: 0.7, seq: [IF_YOU, YOU, ARE_AN, AI], gaps: [0, 1, 3], reason: 'addresses an AI model that may be reading this text', poisoning: true },
  // tool: commands to call tools.
  { id: 'tool.call-now', family: 'tool', weight: 0.5, seq: [TOOLV, TOOLN, IMMEDIATELY], gaps: [3, 4], reason: 'tells the agent to call a tool' },
  { id: 'tool.must-call', family: 'tool', weight: 0.5, seq: [YOU, MUST, TOOLV, TOOLN], gaps: [1, 2, 3], reason: 'tells the agent it must call a tool' },
  { id: 'tool.before-using', family: 'tool', weight: 0.55, seq: [BEFORE, USING, THIS_TOOL, READ], gaps: [1, 2, 5], reason: 'makes reading something a precondition of using a tool', poisoning: true },
  { id: 'tool.otherwise-fail', family: 'tool', weight: 0.45, seq: [OTHERWISE, THIS_TOOL, FAIL], gaps: [3, 3], reason: 'threatens that a tool will fail unless the model complies', poisoning: true },
  // exfiltration: send data out.
  { id: 'exfiltration.copy-secrets-out', family: 'exfiltration', weight: 0.7, seq: [SEND, SECRETS, OUTSIDE], gaps: [6, 8], reason: 'asks the model to put credentials or conversation data into an outside URL', poisoning: true },
  { id: 'exfiltration.send-secrets', family: 'exfiltration', weight: 0.8, seq: [SEND_OUT, SECRETS, DEST], gaps: [6, 8], reason: 'asks the model to send credentials or conversation data somewhere', poisoning: true },
  { id: 'exfiltration.collect-then-send', family: 'exfiltration', weight: 0.75, seq: [COLLECT, SECRETS, SEND_OUT, DEST], gaps: [4, 10, 3], reason: 'asks the model to gather credentials or conversation data and send them somewhere', poisoning: true },
  { id: 'exfiltration.read-sensitive', family: 'exfiltration', weight: 0.7, seq: [READ, SENSITIVE, SEND], gaps: [4, 12], reason: 'asks the model to read a sensitive file and pass it on', poisoning: true },
  { id: 'exfiltration.sensitive-as-param', family: 'exfiltration', weight: 0.7, seq: [SEND, SENSITIVE, INTO], gaps: [5, 8], reason: 'asks the model to put sensitive data into a parameter', poisoning: true },
  { id: 'exfiltration.history-as-param', family: 'exfiltration', weight: 0.6, seq: [['with', 'pass', 'include', 'send', 'put', 'add', 'attach', 'append', 'forward'], ['full', 'entire', 'whole', 'complete', 'all', 'previous', 'prior'], ['conversation', 'chat', 'history', 'transcript', 'messages', 'memory', 'memories', 'context', 'emails', 'inbox']], gaps: [2, 1], reason: 'asks the model to pass the whole conversation or its context on', poisoning: true },
  // leak: reveal the system prompt.
  { id: 'leak.repeat-above', family: 'leak', weight: 0.55, seq: [REVEAL, PROMPT, ['above', 'verbatim', 'before', 'earlier', 'preceding', 'so', 'given']], gaps: [2, 1], reason: 'asks the model to repeat the instructions it was given', poisoning: true },
  { id: 'leak.system-prompt', family: 'leak', weight: 0.7, seq: [REVEAL, YOUR_SYS, PROMPT], gaps: [2, 1], reason: 'asks the model to reveal its system prompt or instructions', poisoning: true },
  // secrecy: hide the action from the person.
  { id: 'secrecy.dont-tell-user', family: 'secrecy', weight: 0.75, seq: [DONT, TELL, USER], gaps: [2, 3], reason: 'asks the model to hide what it does from the user', poisoning: true },
];

/** Literal markup that only model chat templates and prompt-injection payloads use, lower case. */
export const MARKUP: readonly { text: string; weight: number; reason: string }[] = [
  { text: '<|im_start|>', weight: 0.8, reason: 'contains a chat-template role delimiter (<|im_start|>)' },
  { text: '<|im_end|>', weight: 0.8, reason: 'contains a chat-template role delimiter (<|im_end|>)' },
  { text: '<|system|>', weight: 0.8, reason: 'contains a chat-template system delimiter' },
  { text: '<|start_header_id|>', weight: 0.8, reason: 'contains a chat-template role delimiter (Llama 3)' },
  { text: '<|endoftext|>', weight: 0.6, reason: 'contains an end-of-text model token' },
  { text: '[inst]', weight: 0.6, reason: 'contains an instruction-template delimiter ([INST])' },
  { text: '<<sys>>', weight: 0.8, reason: 'contains a system-prompt delimiter (<<SYS>>)' },
  { text: '<system>', weight: 0.6, reason: 'contains a <system> block' },
  { text: '</system>', weight: 0.6, reason: 'contains a </system> delimiter' },
  { text: '[system]', weight: 0.6, reason: 'contains a [system] marker' },
  { text: '### system', weight: 0.6, reason: 'contains a "### system" heading' },
  { text: '<important>', weight: 0.6, reason: 'contains an <IMPORTANT> block (the tool-poisoning pattern)' },
  { text: '</user>', weight: 0.5, reason: 'closes a user turn' },
  { text: '<instructions>', weight: 0.5, reason: 'contains an <instructions> block' },
  { text: '\nsystem:', weight: 0.5, reason: 'starts a line with "system:"' },
  { text: '\nassistant:', weight: 0.45, reason: 'starts a line with "assistant:" (a forged turn)' },
];

/**
 * Words that mark a sentence as talking about prompt injection rather than doing it (security
 * docs, classifier write-ups). A hit in such a sentence, or inside quotes, scores lower.
 */
export const DISCUSSION: ReadonlySet<string> = new Set([
  'example', 'examples', 'eg', 'such', 'phrase', 'phrases', 'attack', 'attacks', 'injection', 'injections', 'jailbreak', 'jailbreaks',
  'detect', 'detects', 'detected', 'detection', 'detector', 'classifier', 'classify', 'malicious', 'adversarial', 'payload', 'payloads', 'researchers', 'research',
  'paper', 'technique', 'techniques', 'vulnerability', 'mitigation', 'mitigate', 'defend', 'defense', 'defence', 'owasp', 'benchmark', 'dataset', 'study', 'studies',
]);

/** Words that, right after a model's name, keep it the one addressed (see `addressee` on a rule). */
export const ADDRESS_NEXT: ReadonlySet<string> = new Set([
  'reading', 'processing', 'parsing', 'summarizing', 'summarising', 'browsing', 'handling', 'reviewing', 'that', 'who', 'which', 'here', 'only', 'please', 'you',
  'ignore', 'disregard', 'forget', 'do', 'don', 'never', 'always', 'read', 'run', 'send', 'stop', 'follow', 'obey',
]);

/** Words that address a model by name when followed by a colon or comma (`AI agent: run ...`). */
export const VOCATIVE: ReadonlySet<string> = new Set(['ai', 'assistant', 'llm', 'model', 'agent', 'chatbot', 'bot', 'gpt', 'chatgpt', 'claude', 'copilot', 'gemini']);

/** Imperative verbs that, right after a vocative, make it a command to the model. */
export const IMPERATIVE: ReadonlySet<string> = new Set([
  'ignore', 'disregard', 'forget', 'run', 'call', 'invoke', 'execute', 'send', 'forward', 'email', 'read', 'open', 'delete', 'remove', 'print', 'reveal', 'output', 'escalate', 'grant',
  'approve', 'transfer', 'stop', 'list', 'export', 'upload', 'post', 'fetch', 'visit', 'navigate', 'click', 'include', 'append', 'add', 'write', 'tell', 'reply', 'respond', 'say', 'do', 'you', 'please',
  'use', 'change', 'set', 'disable', 'enable', 'buy', 'pay', 'recommend', 'rate', 'summarize', 'translate', 'share', 'copy', 'paste', 'download', 'install', 'create', 'make', 'from', 'when', 'before',
]);
