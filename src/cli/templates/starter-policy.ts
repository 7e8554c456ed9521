/** The commented starter policy `warden init` writes. */
export const STARTER_POLICY = `# Warden policy (apiVersion warden/v1). Reference: docs/policy.md
#
# Every tool call is decided against the rules below:
#   - any matching deny wins, then require_approval, then warn, then allow;
#   - when no rule matches, the default applies (deny when omitted);
#   - a condition that fails to evaluate (a missing field, a wrong type) makes a deny or
#     require_approval rule apply, and an allow or warn rule not apply.
# Check a request:   warden check --policy policy.yaml --request request.json
# See why:           warden explain --policy policy.yaml --request request.json
apiVersion: warden/v1
kind: Policy
name: starter
default: deny

# Facets parse arguments with real parsers so rules see the operation, not just the tool name
# (docs/facets.md): sql, shell, path and k8s are bound to tools here; urls (every URL anywhere in
# the arguments) needs no binding.
facets:
  - tools: [run_shell]
    shell: { from: args.command }

rules:
  # The guard every bound facet needs: what cannot be parsed is not allowed.
  - name: unparsable-or-dynamic-shell
    tools: [run_shell]
    when: "!shell.parsed || shell.dynamic"
    effect: deny
    reason: The command could not be read statically, so it is not allowed

  # Every command of the line (through pipes, ;, &&, sudo, env, bash -c ...) must be on the list.
  - name: allow-listed-shell-commands
    tools: [run_shell]
    when: "shell.names.all(n, n in ['ls', 'cat', 'grep', 'head', 'tail', 'wc', 'git', 'npm'])"
    effect: allow

  # No tool may reach the cloud metadata service, loopback or private addresses.
  - name: no-internal-urls
    when: "urls.exists(u, u.metadata || u.loopback || u.private || u.linkLocal)"
    effect: deny
    reason: Internal and metadata addresses are never reachable

  # Read-only tools may run. Tool names are globs: * and ? (not across /), ** (across /).
  - name: allow-read-only-tools
    tools: ["read_*", "search_*", "list_*", "get_*"]
    effect: allow

  # Writes are allowed only under /workspace. has() guards an optional field; without it a
  # missing path would be a condition error, and this allow rule would simply not apply.
  - name: allow-workspace-writes
    tools: [write_file]
    when: "has(args.path) && args.path.startsWith('/workspace/') && !args.path.contains('..')"
    effect: allow

  # Conditions are CEL. args (the tool's arguments), agent (id, roles, labels), context and
  # now (the decision time) are available; re2() matches RE2 regular expressions in linear time.
  - name: no-secrets-in-paths
    tools: ["*"]
    when: "has(args.path) && re2(args.path, r'(^|/)(\\\\.env|id_rsa|\\\\.aws/credentials)$')"
    effect: deny
    reason: Agents may not touch credential files

  # Email to anyone outside example.com needs a person to approve it first.
  - name: approve-external-email
    tools: [send_email]
    unless: "args.to.endsWith('@example.com')"
    effect: require_approval
    approvers: [security-team]
    reason: Email leaving the company needs approval

  - name: allow-internal-email
    tools: [send_email]
    effect: allow

  # Numbers from JSON are CEL doubles and compare with int or double literals alike.
  - name: warn-on-large-refunds
    tools: [refund]
    when: "args.amount > 100"
    effect: warn
    reason: Large refund; flagged for review

  - name: deny-huge-refunds
    tools: [refund]
    when: "args.amount > 1000"
    effect: deny
    reason: Refunds over 1000 go through finance, not the agent

  - name: allow-refunds
    tools: [refund]
    effect: allow
`;
