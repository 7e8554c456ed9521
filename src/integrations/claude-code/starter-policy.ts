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
# docs/integrations/claude-code.md.
#
# \`warden hook claude-code\` decides every tool call Claude Code makes against these rules:
#   deny    -> the call is blocked and Claude sees the reason;
#   require_approval -> Claude Code asks you (its permission prompt);
#   allow / warn -> the call runs without a prompt (Claude Code's own deny/ask rules still apply).
# Any matching deny wins, then require_approval, then warn, then allow. No matching rule: deny.
#
# The hook binds Claude Code's tools to facets for you (no facets: section needed):
#   Bash                          shell: { from: args.command }
#   Read Write Edit MultiEdit     path:  { from: args.file_path }     root: the project directory
#   NotebookEdit                  path:  { from: args.notebook_path } (symlinks resolved; ~ is
#   Glob Grep LS                  path:  { from: args.path }           your home directory)
# and every URL anywhere in a call's arguments is in \`urls\`. Rules also see
# context.claudeCode.projectDir (the project directory), context.claudeCode.cwd and
# context.claudeCode.permissionMode (docs/context.md lists every context key).
#
# Try it:  warden check --policy .warden/policy.yaml --request req.json  (a request is
# {"tool":"Bash","args":{"command":"git push"}}; the hook adds the bindings, check does not).
apiVersion: warden/v1
kind: Policy
name: claude-code
default: deny

rules:
  # ---- Warden itself: the agent must not edit its own policy, audit log or hook settings. ----
  - name: protect-warden-and-hooks
    tools: [Write, Edit, MultiEdit, NotebookEdit]
    when: >-
      path.parsed && [path.resolved, path.realResolved].exists(p,
        re2(p, r'(^|/)(\\.warden(/|$)|\\.claude/settings(\\.local)?\\.json$)'))
    effect: deny
    reason: The agent may not change Warden's policy, its audit log or Claude Code's hook settings

  - name: protect-warden-and-hooks-shell
    tools: [Bash]
    when: >-
      shell.commands.exists(c, c.argv.exists(a, re2(a, r'(^|[/=])\\.warden(/|$)|\\.claude/settings')))
      || shell.redirects.exists(r, re2(r.target, r'(^|/)\\.warden(/|$)|\\.claude/settings'))
    effect: deny
    reason: The agent may not touch Warden's policy, its audit log or Claude Code's hook settings from the shell

  # ---- Credentials: .env files, SSH and cloud keys, token files. ----
  - name: no-credential-files
    tools: [Read, Write, Edit, MultiEdit, NotebookEdit, Glob, Grep, LS]
    when: >-
      path.parsed && [path.resolved, path.realResolved].exists(p,
        re2(p, r'(^|/)(\\.ssh|\\.aws|\\.gnupg|\\.azure|\\.kube|\\.docker|\\.config/gcloud|\\.config/gh)(/|$)')
        || (re2(p, r'(^|/)(\\.env(\\.[^/]*)?|\\.npmrc|\\.netrc|\\.pypirc|\\.git-credentials|id_rsa|id_dsa|id_ecdsa|id_ed25519)$')
            && !re2(p, r'\\.env\\.(example|sample|template)$')))
    effect: deny
    reason: Credential files (.env, ~/.ssh, ~/.aws, tokens) are off limits

  - name: no-credential-files-grep-glob
    tools: [Grep]
    when: >-
      has(args.glob) && re2(args.glob, r'(^|[/*{,])\\.env')
    effect: deny
    reason: Credential files (.env) are off limits

  - name: no-credential-files-shell
    tools: [Bash]
    when: >-
      shell.commands.exists(c, c.argv.exists(a,
        re2(a, r'(^|[/=:])(\\.ssh|\\.aws|\\.gnupg|\\.azure|\\.kube|\\.docker|\\.config/gcloud|\\.config/gh)(/|$)')
        || (re2(a, r'(^|[/=:])(\\.env(\\.[^/]*)?|\\.npmrc|\\.netrc|\\.pypirc|\\.git-credentials|id_rsa|id_dsa|id_ecdsa|id_ed25519)$')
            && !re2(a, r'\\.env\\.(example|sample|template)$'))))
      || shell.redirects.exists(r, re2(r.target, r'(^|/)(\\.ssh|\\.aws|\\.gnupg)(/|$)|(^|/)\\.env$'))
    effect: deny
    reason: Credential files (.env, ~/.ssh, ~/.aws, tokens) are off limits

  # ---- Files: inside the project; symlinks out count as out. ----
  - name: unreadable-path
    tools: [Read, Write, Edit, MultiEdit, NotebookEdit]
    when: "!path.parsed"
    effect: deny
    reason: The file path could not be read

  - name: symlink-out-of-project
    tools: [Read, Write, Edit, MultiEdit, NotebookEdit, Glob, Grep, LS]
    when: "path.parsed && path.symlinkEscape"
    effect: deny
    reason: The path leads out of the project through a symlink

  - name: no-writes-outside-project
    tools: [Write, Edit, MultiEdit, NotebookEdit]
    when: "!path.insideRoot"
    effect: deny
    reason: Files outside the project are not written

  - name: reads-outside-project-need-approval
    tools: [Read]
    when: "!path.insideRoot"
    effect: require_approval
    approvers: [user]
    reason: Reading a file outside the project

  - name: searches-outside-project-need-approval
    tools: [Glob, Grep, LS]
    when: "has(args.path) && !path.insideRoot"
    effect: require_approval
    approvers: [user]
    reason: Searching outside the project

  - name: file-tools
    tools: [Read, Write, Edit, MultiEdit, NotebookEdit, Glob, Grep, LS]
    effect: allow

  # ---- Shell. ----
  - name: unparsable-shell
    tools: [Bash]
    when: "!shell.parsed"
    effect: deny
    reason: The command could not be parsed, so it is not allowed

  - name: no-privilege
    tools: [Bash]
    when: "shell.names.exists(n, n in ['sudo', 'su', 'doas', 'pkexec', 'chown', 'mount', 'umount', 'mkfs', 'dd'])"
    effect: deny
    reason: No privilege changes or raw disk access

  # rm (and rmdir, unlink, shred, find -delete) only inside the project: every target, absolute or
  # relative to the session's directory, must stay inside it. A target only known at run time
  # ($VAR, ~, backquotes, .* globs) is not. After a cd, or with xargs, the targets are not known
  # from the line: Claude Code asks you.
  - name: no-deletes-outside-project
    tools: [Bash]
    when: >-
      shell.commands.exists(c, (c.name in ['rm', 'rmdir', 'unlink', 'shred'] || (c.name == 'find' && '-delete' in c.argv))
        && c.argv.exists(a, a != c.argv[0] && !a.startsWith('-') && (
          re2(a, r'^~|[$\`]|(^|/)\\.[*?\\[]')
          || (a.startsWith('/') && !pathWithin(a, context.claudeCode.projectDir))
          || (!a.startsWith('/') && !pathWithin(context.claudeCode.cwd + '/' + a, context.claudeCode.projectDir)))))
    effect: deny
    reason: Deletes outside the project are not allowed

  - name: deletes-after-cd-need-approval
    tools: [Bash]
    when: >-
      shell.names.exists(n, n in ['cd', 'pushd', 'popd', 'xargs'])
      && shell.names.exists(n, n in ['rm', 'rmdir', 'unlink', 'shred', 'find'])
    effect: require_approval
    approvers: [user]
    reason: What this delete removes depends on a cd or on xargs input, so it needs your approval

  - name: git-push-needs-approval
    tools: [Bash]
    when: "shell.commands.exists(c, c.name == 'git' && 'push' in c.argv)"
    effect: require_approval
    approvers: [user]
    reason: git push needs your approval

  - name: opaque-code-needs-approval
    tools: [Bash]
    when: "shell.dynamic || shell.runsScript || shell.inlineCode || shell.background"
    effect: require_approval
    approvers: [user]
    reason: The command runs code the line does not show (a script, inline code, a computed command name) or runs in the background

  - name: other-commands-need-approval
    tools: [Bash]
    unless: >-
      shell.names.all(n, n in ['ls', 'cat', 'head', 'tail', 'less', 'grep', 'egrep', 'rg', 'find', 'wc', 'sort', 'uniq',
      'cut', 'tr', 'echo', 'printf', 'pwd', 'cd', 'which', 'tree', 'file', 'stat', 'du', 'df', 'diff', 'cmp', 'sed',
      'jq', 'basename', 'dirname', 'realpath', 'date', 'true', 'false', 'test', '[', 'mkdir', 'touch', 'cp', 'mv',
      'rm', 'rmdir', 'ln', 'chmod', 'tee', 'xargs', 'env', 'sleep', 'bash', 'sh', 'git', 'gh', 'npm', 'pnpm', 'yarn',
      'node', 'tsc', 'vitest', 'jest', 'eslint', 'prettier', 'python', 'python3', 'pip', 'pip3', 'pytest', 'uv',
      'cargo', 'rustc', 'go', 'make'])
    effect: require_approval
    approvers: [user]
    reason: This command is not on the project's list of everyday commands

  - name: shell
    tools: [Bash]
    effect: allow

  # ---- Network: explicit URLs must be on the allowlist (in Bash and WebFetch). ----
  - name: no-metadata-or-link-local
    tools: [Bash, WebFetch, "mcp__*"]
    when: "urls.exists(u, u.metadata || u.linkLocal)"
    effect: deny
    reason: Cloud metadata and link-local addresses are never reachable

  - name: egress-allowlist
    tools: [Bash, WebFetch]
    when: >-
      urls.exists(u, u.scheme != '' && !u.loopback && !(
        domainMatches(u.host, 'github.com') || domainMatches(u.host, 'githubusercontent.com')
        || domainMatches(u.host, 'npmjs.org') || domainMatches(u.host, 'npmjs.com')
        || domainMatches(u.host, 'pypi.org') || domainMatches(u.host, 'pythonhosted.org')
        || domainMatches(u.host, 'crates.io') || domainMatches(u.host, 'docs.rs')
        || domainMatches(u.host, 'go.dev') || domainMatches(u.host, 'nodejs.org')
        || domainMatches(u.host, 'developer.mozilla.org')))
    effect: deny
    reason: The host is not on the egress allowlist (edit egress-allowlist in .warden/policy.yaml)

  - name: fetch
    tools: [WebFetch]
    when: "urls.exists(u, u.scheme != '')"
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
