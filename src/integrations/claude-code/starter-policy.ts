/** The starter policy `warden init claude-code` writes to `.warden/policy.yaml`. */

/**
 * A coding agent's policy for Claude Code: work freely inside the project, no credentials, no
 * deletes or writes outside the project, an egress allowlist, and approval (Claude Code's own
 * permission prompt) for `git push`, unknown commands and unknown tools.
 *
 * @example
 * ```ts
 * const set = compilePolicyWithBindings([{ name: 'policy.yaml', text: CLAUDE_CODE_STARTER_POLICY }], claudeCodeBindings({ root: '/repo' }));
 * ```
 */
export const CLAUDE_CODE_STARTER_POLICY = `# Warden policy for Claude Code (apiVersion warden/v1). Reference: docs/policy.md,
# docs/facets.md (effects), docs/integrations/claude-code.md.
#
# What it means (each point is held by tests, as the hook sees it):
#   - Writes and deletes stay inside the project, for the file tools and the shell alike (however
#     the path is spelled: .., //, ./, ~, $VARS, globs, cd first, Windows drive and UNC paths);
#     a delete outside the project, or one whose target is only known at run time, is denied.
#   - Warden's policy and audit log (.warden/) and Claude Code's settings and hooks
#     (.claude/settings.json, .claude/settings.local.json, .claude/hooks/) are changed by no tool,
#     in any case spelling (case-folding file systems), through a glob, or by deleting, unpacking
#     or copying over a directory that holds them (rm -rf ., tar -x, cp -r x/. .).
#   - Credentials and private keys are not read or written by any tool: .env files (not
#     .env.example), ~/.ssh, ~/.aws and the other token stores, *.pem, *.key, id_* keys, named
#     directly, through a glob, in any case, or by a recursive search over them (grep -r ~/);
#     nor are the environment and secret-named variables ($GITHUB_TOKEN) printed. (A recursive
#     search of the project, such as grep -r, may still pass over a .env file in it: keep
#     secrets out of the project tree.)
#   - Egress: Bash and WebFetch reach only the hosts in egress-allowlist (https, or ssh for git);
#     never cloud metadata or link-local addresses, from any tool; a git remote from the
#     repository's configuration counts as allowed; localhost needs your approval.
#   - Hidden code execution needs your approval (Claude Code asks): code taken from options,
#     variables and configuration (git -c, GIT_SSH_COMMAND, NODE_OPTIONS, PATH=, sed e, awk
#     system(), find -exec sh), inline program text, scripts, code run elsewhere (ssh, docker),
#     commands only known at run time, writing git hooks or git config, and programs Warden does
#     not model that are not on the everyday list. git push and package publishing need your
#     approval too.
#   - Privilege (sudo, su, doas, setuid bits, chown) is denied; what cannot be parsed is denied.
#   - Reading outside the project with the file tools asks; tools the policy does not know ask.
#
# \`warden hook claude-code\` decides every tool call Claude Code makes against these rules:
#   deny    -> the call is blocked and Claude sees the reason;
#   require_approval -> Claude Code asks you (its permission prompt);
#   allow / warn -> the call runs without a prompt (Claude Code's own deny/ask rules still apply).
# Any matching deny wins, then require_approval, then warn, then allow. No matching rule: deny.
#
# The hook binds Claude Code's tools to facets for you (no facets: section needed), with what
# each tool does to its path, so rules read effects (effects.reads, .writes, .deletes, .exec,
# .network, .privilege) the same way for every tool:
#   Bash                          shell: { from: args.command }       cwd: the session's cwd
#   Read (read)  Write (write)    path:  { from: args.file_path }     root: the project directory
#   Edit MultiEdit (read, write)  path:  { from: args.file_path }     (symlinks resolved; ~ is
#   NotebookEdit (read, write)    path:  { from: args.notebook_path }  your home directory)
#   Glob Grep (recursive read) LS path:  { from: args.path }          (default: the project)
# and every URL anywhere in a call's arguments is in \`urls\` (the Bash description, file content
# and search patterns are prose: not destinations). Rules also see context.claudeCode.projectDir,
# context.claudeCode.cwd, context.claudeCode.home and context.claudeCode.permissionMode
# (docs/context.md).
#
# Try it:  warden check --policy .warden/policy.yaml --request req.json  (a request is
# {"tool":"Bash","args":{"command":"git push"}}; the hook adds the bindings, check does not).
apiVersion: warden/v1
kind: Policy
name: claude-code
default: deny

rules:

  # ---- What cannot be read is not allowed. ----
  - name: unreadable-path
    tools: [Read, Write, Edit, MultiEdit, NotebookEdit]
    when: "!path.parsed"
    effect: deny
    reason: The file path could not be read

  - name: unparsable-shell
    tools: [Bash]
    when: "!shell.parsed"
    effect: deny
    reason: The command could not be parsed, so it is not allowed

  # ---- Files and the shell alike: deletes and writes inside the project; Warden itself and
  # the hook settings unchanged; no credentials. ----
  # A delete whose target is only known at run time ($VAR, \`...\`, xargs input, .* globs) is not
  # known to be inside, so it is denied too.
  - name: no-deletes-outside-project
    tools: [Bash, Write, Edit, MultiEdit, NotebookEdit]
    when: "effects.deletes.exists(p, !effectWithin(p, context.claudeCode.projectDir))"
    effect: deny
    reason: Deletes outside the project are not allowed

  # A write or delete of any directory that holds them counts (rm -rf ., tar -x, cp -r x/. .),
  # except git's own whole-tree writes of tracked files (git pull, checkout, reset, stash: they
  # land where they say) and the "may write or delete" of a build or test tool Warden does not
  # model given a directory.
  - name: protect-warden-and-hooks
    tools: [Write, Edit, MultiEdit, NotebookEdit, Bash]
    when: >-
      effects.writes.exists(p, ['/.warden', '/.warden/**', '/.claude/settings.json', '/.claude/settings.local.json',
          '/.claude/hooks', '/.claude/hooks/**']
        .exists(g, (p.known && p.recursive && (p.via.startsWith('git ') || p.via in ['tsc', 'vitest', 'jest', 'eslint',
            'prettier', 'pytest', 'cargo', 'go', 'make', 'biome', 'ruff', 'black', 'mypy']))
          ? pathMatches(p.path, globEscape(context.claudeCode.projectDir) + g, {'fold': true, 'decode': true})
          : pathMayMatch(p, globEscape(context.claudeCode.projectDir) + g, {'fold': true, 'decode': true})))
      || effects.deletes.exists(p, !(p.known && p.recursive && p.via in ['tsc', 'vitest', 'jest', 'eslint', 'prettier',
          'pytest', 'cargo', 'go', 'make', 'biome', 'ruff', 'black', 'mypy'])
        && ['/.warden', '/.warden/**', '/.claude/settings.json', '/.claude/settings.local.json', '/.claude/hooks', '/.claude/hooks/**']
          .exists(g, pathMayMatch(p, globEscape(context.claudeCode.projectDir) + g, {'fold': true, 'decode': true})))
    effect: deny
    reason: The agent may not change Warden's policy, its audit log or Claude Code's hook settings

  # A path effect is checked by name; a recursive read or write (grep -r, cp -r) by its own
  # directory, so searching the project stays possible while ~/.ssh and ~/.aws do not.
  - name: no-credential-files
    tools: [Read, Write, Edit, MultiEdit, NotebookEdit, Glob, Grep, LS, Bash]
    # isCredentialFile is the one list of credential files (docs/facets.md); the names below are
    # credentials only in the home directory (a project's .yarnrc.yml is not).
    when: >-
      [effects.reads, effects.writes].exists(l, l.exists(p, isCredentialFile(p)
        || (has(context.claudeCode.home)
          && ((p.known && p.recursive)
            ? ['/.ssh/**', '/.aws/**', '/.gnupg/**', '/.azure/**', '/.kube/**', '/.docker/config.json', '/.config/gcloud/**', '/.config/gh/**',
               '/.git-credentials', '/.netrc', '/.npmrc', '/.pypirc', '/.pgpass', '/.bash_history', '/.zsh_history', '/.psql_history', '/.python_history', '/.node_repl_history',
               '/.config/git/credentials', '/.my.cnf', '/.yarnrc.yml', '/.local/share/keyrings/**', '/.oci/**', '/.config/op/**', '/.config/doctl/**', '/.config/heroku/**', '/.local/share/fish/fish_history']
            : ['/.config/git/credentials', '/.my.cnf', '/.yarnrc.yml', '/.local/share/keyrings/**', '/.oci/**', '/.config/op/**', '/.config/doctl/**', '/.config/heroku/**', '/.local/share/fish/fish_history'])
          .exists(g, pathMayMatch(p, globEscape(context.claudeCode.home) + g, {'fold': true, 'decode': true})))))
    effect: deny
    reason: Credential files (.env, ~/.ssh, ~/.aws, tokens, private keys, shell history) and the environment are off limits

  # The environment one variable at a time: a secret-named variable expanded anywhere in the line.
  - name: no-secret-variables
    tools: [Bash]
    when: >-
      shell.variables.exists(v, re2(v, r'(?i)(token|secret|passw|credential|api_?key|private_?key|access_?key|database_url|(^|_)(key|auth|pat|dsn|cookie|sk|pass|jwt)(_|$)|_pwd(_|$))'))
    effect: deny
    reason: Secrets in environment variables are not printed or passed on

  - name: no-credential-files-grep-glob
    tools: [Grep]
    when: >-
      has(args.glob) && re2(args.glob, r'(^|[/*{,])\\.env')
    effect: deny
    reason: Credential files (.env) are off limits

  - name: symlink-out-of-project
    tools: [Read, Write, Edit, MultiEdit, NotebookEdit]
    when: "path.parsed && path.symlinkEscape"
    effect: deny
    reason: The path leads out of the project through a symlink

  # A write outside the project is denied; one whose target could be anywhere (a variable, a
  # configured install location) asks.
  - name: no-writes-outside-project
    tools: [Bash, Write, Edit, MultiEdit, NotebookEdit]
    when: >-
      effects.writes.exists(p, !effectWithin(p, context.claudeCode.projectDir) && (p.known || p.within != ''))
    effect: deny
    reason: Files outside the project are not written

  - name: no-writes-outside-root
    tools: [Write, Edit, MultiEdit, NotebookEdit]
    when: "!path.insideRoot"
    effect: deny
    reason: Files outside the project are not written

  - name: no-privilege
    tools: [Bash]
    when: "effects.privilege.size() > 0"
    effect: deny
    reason: No privilege changes

  # ---- Network: destinations must be on the allowlist (Bash and WebFetch). ----
  - name: no-metadata-or-link-local
    tools: [Bash, WebFetch, "mcp__*"]
    when: "urls.exists(u, u.metadata || u.linkLocal) || effects.network.exists(d, inCidr(d.host, '169.254.0.0/16') || inCidr(d.host, 'fe80::/10'))"
    effect: deny
    reason: Cloud metadata and link-local addresses are never reachable

  # Edit the host list to change what the agent may reach. A known destination must be on it; a
  # destination only known at run time ($URL) is denied, one only the repository's configuration
  # knows (a git remote such as origin) is allowed, and loopback asks (below).
  - name: egress-allowlist
    tools: [Bash, WebFetch]
    when: >-
      effects.network.exists(d, d.known
        ? !(d.host == 'localhost' || inCidr(d.host, '127.0.0.0/8') || d.host == '::1')
          && !(d.scheme in ['https', 'ssh', ''] && ['github.com', 'githubusercontent.com', 'npmjs.org', 'npmjs.com', 'yarnpkg.com',
            'pypi.org', 'pythonhosted.org', 'crates.io', 'docs.rs', 'go.dev', 'golang.org', 'proxy.golang.org', 'nodejs.org',
            'developer.mozilla.org'].exists(a, domainMatches(d.host, a)))
        : !(re2(d.host, r'^(<[a-z ]+>|[A-Za-z0-9_][A-Za-z0-9_-]*)$')
          || d.host in ['registry.npmjs.org', 'registry.yarnpkg.com', 'pypi.org', 'files.pythonhosted.org', 'crates.io', 'index.crates.io', 'proxy.golang.org']))
      || urls.exists(u, u.hasUserinfo && u.scheme != '')
    effect: deny
    reason: The host is not on the egress allowlist (edit egress-allowlist in .warden/policy.yaml)

  - name: loopback-needs-approval
    tools: [Bash, WebFetch]
    when: "effects.network.exists(d, d.known && (d.host == 'localhost' || inCidr(d.host, '127.0.0.0/8') || d.host == '::1'))"
    effect: require_approval
    approvers: [user]
    reason: Reaching a service on this machine needs your approval

  - name: outside-write-target-needs-approval
    tools: [Bash]
    when: "effects.writes.exists(p, !effectWithin(p, context.claudeCode.projectDir))"
    effect: require_approval
    approvers: [user]
    reason: Where this command writes is only known when it runs

  # ---- Shell: pushes and code the line does not show ask; everyday commands run. ----
  - name: git-push-needs-approval
    tools: [Bash]
    when: "shell.commands.exists(c, c.name == 'git' && 'push' in c.argv)"
    effect: require_approval
    approvers: [user]
    reason: git push needs your approval

  - name: publish-needs-approval
    tools: [Bash]
    when: "shell.commands.exists(c, c.name in ['npm', 'pnpm', 'yarn', 'cargo', 'twine', 'gem'] && c.argv.exists(a, a in ['publish', 'upload', 'push']))"
    effect: require_approval
    approvers: [user]
    reason: Publishing a package needs your approval

  # Code the line does not show: options, variables and configuration that name commands, inline
  # program text, scripts, code run elsewhere, commands only known at run time, a makefile, package
  # scripts or a repository's configuration from outside the project; and writing git
  # hooks or git config (code git runs later).
  - name: opaque-code-needs-approval
    tools: [Bash, Write, Edit, MultiEdit, NotebookEdit]
    when: >-
      effects.exec.exists(e, e.kind in ['hidden', 'inline', 'script', 'remote', 'runtime'])
      || (effects.exec.exists(e, e.kind == 'project') && effects.reads.exists(r, !effectWithin(r, context.claudeCode.projectDir)))
      || effects.writes.exists(p, ['/.git/hooks', '/.git/hooks/**', '/.git/config']
        .exists(g, (p.known && p.recursive)
          ? (p.via.startsWith('git ') || p.via in ['tsc', 'vitest', 'jest', 'eslint', 'prettier', 'pytest', 'cargo', 'go', 'make',
              'biome', 'ruff', 'black', 'mypy'] ? pathMatches(p.path, globEscape(context.claudeCode.projectDir) + g, {'fold': true})
            : pathMayMatch(p, globEscape(context.claudeCode.projectDir) + g, {'fold': true}))
          : pathMayMatch(p, globEscape(context.claudeCode.projectDir) + '/**' + g, {'fold': true})
            || pathMayMatch(p, globEscape(context.claudeCode.projectDir) + g, {'fold': true})))
    effect: require_approval
    approvers: [user]
    reason: The command runs code the line does not show (a hidden command, inline code, a script, a computed command name) or runs in the background

  - name: background-needs-approval
    tools: [Bash]
    when: "shell.background"
    effect: require_approval
    approvers: [user]
    reason: The command runs in the background, where what it does next is not seen

  # Programs Warden does not model: everyday build and test tools run, anything else asks.
  - name: other-commands-need-approval
    tools: [Bash]
    when: >-
      effects.exec.exists(e, e.kind == 'program' && !(e.program in ['tsc', 'vitest', 'jest', 'eslint', 'prettier', 'pytest',
        'uv', 'cargo', 'rustc', 'go', 'which', 'tree', 'file', 'stat', 'du', 'df', 'basename', 'dirname', 'realpath', 'date',
        'sleep', 'gh', 'git', 'npm', 'pnpm', 'yarn', 'node', 'python', 'python3', 'pip', 'pip3', 'make', 'tsx', 'mocha',
        'ruff', 'black', 'mypy', 'biome', 'next', 'vite', 'webpack', 'rollup', 'esbuild', 'turbo', 'nx', 'lerna']))
    effect: require_approval
    approvers: [user]
    reason: This command is not on the project's list of everyday commands

  - name: shell
    tools: [Bash]
    effect: allow

  # ---- File tools: reads outside the project ask. ----
  - name: reads-outside-project-need-approval
    tools: [Read]
    when: "!path.insideRoot"
    effect: require_approval
    approvers: [user]
    reason: Reading a file outside the project

  # A search reads what its path names, after symlinks (the project when it is given none).
  - name: searches-outside-project-need-approval
    tools: [Glob, Grep, LS]
    when: "effects.reads.exists(p, !effectWithin(p, context.claudeCode.projectDir))"
    effect: require_approval
    approvers: [user]
    reason: Searching outside the project

  # Glob also takes an absolute or climbing pattern (/etc/**, ~/.ssh/*, ../../*): the pattern
  # names where it looks, as a path does.
  - name: glob-patterns-outside-project-need-approval
    tools: [Glob]
    when: >-
      has(args.pattern) && re2(args.pattern, r'^(/|~|[A-Za-z]:|\\\\)|(^|[/\\\\])\\.\\.([/\\\\]|$)')
    effect: require_approval
    approvers: [user]
    reason: Searching outside the project

  - name: file-tools
    tools: [Read, Write, Edit, MultiEdit, NotebookEdit, Glob, Grep, LS]
    effect: allow

  # ---- Web. ----
  - name: fetch
    tools: [WebFetch]
    when: "effects.network.exists(d, d.known && d.scheme != '')"
    effect: allow

  - name: search
    tools: [WebSearch]
    effect: allow

  # ---- Claude Code's own bookkeeping tools. ----
  - name: agent-tools
    tools: [TodoWrite, Task, Agent, TaskCreate, TaskGet, TaskUpdate, TaskList, TaskOutput, TaskStop, BashOutput,
      KillShell, KillBash, ExitPlanMode, EnterPlanMode, AskUserQuestion, ListMcpResources, ReadMcpResource]
    effect: allow

  # ---- Everything else (MCP tools, new tools): ask. ----
  - name: other-tools-need-approval
    tools: ["*"]
    unless: >-
      tool in ['Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Glob', 'Grep', 'LS', 'Bash', 'WebFetch',
      'WebSearch', 'TodoWrite', 'Task', 'Agent', 'TaskCreate', 'TaskGet', 'TaskUpdate', 'TaskList', 'TaskOutput',
      'TaskStop', 'BashOutput', 'KillShell', 'KillBash', 'ExitPlanMode', 'EnterPlanMode', 'AskUserQuestion',
      'ListMcpResources', 'ReadMcpResource', 'UserPromptSubmit']
    effect: require_approval
    approvers: [user]
    reason: This tool is not covered by the policy yet; add a rule for it in .warden/policy.yaml

  # Prompts are recorded but not decided unless a rule lists UserPromptSubmit. For example:
  # - name: no-secrets-in-prompts
  #   tools: [UserPromptSubmit]
  #   when: "re2(args.prompt, r'AKIA[0-9A-Z]{16}')"
  #   effect: deny
  #   reason: Do not paste AWS keys into prompts
`;
