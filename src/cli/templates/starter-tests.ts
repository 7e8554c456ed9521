/** The test cases `warden init` writes beside the starter policy; every one passes against it. */
export const STARTER_TESTS = `# Tests for policy.yaml (apiVersion warden/v1, kind PolicyTest). Reference: docs/testing.md
#
# Each case is a request and the decision it must get. Run them in CI before a policy change ships:
#   warden test policy.yaml --cases policy.test.yaml
# A case passes when the effect matches and, when given, the deciding rule (null: no rule matched
# and the default decided) and a piece of the reason. Exit 0 all passed, 1 a case failed,
# 2 the policy or this file is invalid.
apiVersion: warden/v1
kind: PolicyTest
name: starter-tests

cases:
  - name: reads inside the workspace are allowed
    request:
      tool: read_file
      args: { path: /workspace/notes.txt }
      agent: { id: coder }
    expect: { effect: allow, rule: allow-read-only-tools }

  - name: credential files are never read, even by an allowed tool
    request: { tool: read_file, args: { path: /workspace/.env } }
    expect: { effect: deny, rule: no-secrets-in-paths, reason: credential files }

  - name: a tool no rule mentions is denied by the default
    request: { tool: format_disk, args: {} }
    expect: { effect: deny, rule: null }

  - name: listed shell commands run, through pipes
    request: { tool: run_shell, args: { command: "ls -la | grep notes" } }
    expect: { effect: allow, rule: allow-listed-shell-commands }

  - name: a listed command chained to an unlisted one is denied
    request: { tool: run_shell, args: { command: "ls && curl https://example.net/x" } }
    expect: { effect: deny, rule: null }

  - name: a command that cannot be read statically is denied
    request: { tool: run_shell, args: { command: "sh -c \\"$(echo curl) x\\"" } }
    expect: { effect: deny, rule: unparsable-or-dynamic-shell }

  - name: the cloud metadata service is unreachable under any argument
    request: { tool: get_page, args: { link: "http://169.254.169.254/latest/meta-data/" } }
    expect: { effect: deny, rule: no-internal-urls }

  - name: writes inside the workspace are allowed
    request: { tool: write_file, args: { path: /workspace/report.md, content: "# Report" } }
    expect: { effect: allow, rule: allow-workspace-writes }

  - name: a path that climbs out of the workspace is not allowed
    request: { tool: write_file, args: { path: /workspace/../etc/passwd, content: x } }
    expect: { effect: deny, rule: null }

  - name: internal email is sent
    request: { tool: send_email, args: { to: ana@example.com, body: hi } }
    expect: { effect: allow, rule: allow-internal-email }

  - name: email leaving the company waits for approval
    request: { tool: send_email, args: { to: someone@elsewhere.test, body: hi } }
    expect: { effect: require_approval, rule: approve-external-email }

  - name: a large refund goes through with a warning
    request: { tool: refund, args: { amount: 500 } }
    expect: { effect: warn, rule: warn-on-large-refunds }

  - name: a huge refund is denied
    request: { tool: refund, args: { amount: 5000 } }
    expect: { effect: deny, rule: deny-huge-refunds, reason: finance }
`;
