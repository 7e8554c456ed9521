import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import { WardenError } from '../../src/errors.js';
import { findSecrets, isSecretKey, redact, redactDetailed, redactString } from '../../src/audit/redact.js';
import { redactText } from '../../src/audit/redact-text.js';
import type { Detector } from '../../src/audit/redact-detectors.js';

// Fake secrets are assembled from parts, so no real-looking secret sits in the repository as one literal.
const R = (kind: string): string => `[REDACTED:${kind}]`;
const MIXED = 'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3';
const UPNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64CH = 'wJalrXUtnFEMIK7MDENGbPxRfiCY/+0123456789';
/** A deterministic string of `n` characters cycling through `alphabet` (coprime stride, so all classes appear). */
function mix(n: number, alphabet = MIXED): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[(i * 7) % alphabet.length];
  return s;
}
const fullwidth = (s: string): string => [...s].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');

const AKIA = 'AKIA' + mix(16, UPNUM);
const AWS_SECRET = mix(40, B64CH);
const GHP = 'ghp_' + mix(36);
const GH_PAT = 'github_pat_' + mix(22) + '_' + mix(59);
const SK_ANT = 'sk-ant-' + 'api03-' + mix(80) + 'AA';
const SK_PROJ = 'sk-' + 'proj-' + mix(40) + '-' + mix(30) + '_' + mix(20);
const SK_LEGACY = 'sk-' + mix(48);
const AIZA = 'AI' + 'za' + mix(35);
const JWT = ['eyJ' + 'hbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJ' + 'zdWIiOiIxMjM0NTY3ODkwIn0', mix(43)].join('.');
const PEM_BODY = 'MIIE' + mix(60) + '\n' + mix(64) + '\n' + mix(20) + '==';
const pem = (label: string): string => `-----BEGIN ${label}-----\n${PEM_BODY}\n-----END ${label}-----`;
const basic = (userpass: string): string => Buffer.from(userpass).toString('base64');

type Case = readonly [name: string, input: string, expected: string];

const VALUE_CASES: readonly Case[] = [
  // AWS
  ['an AWS access key id (AKIA)', `id ${AKIA} end`, `id ${R('aws_access_key_id')} end`],
  ['an AWS temporary key id (ASIA)', 'ASIA' + mix(16, UPNUM), R('aws_access_key_id')],
  ['an AWS key id glued to a word', `keyid${AKIA}`, `keyid${R('aws_access_key_id')}`],
  ['an AWS secret key by its key name (ini)', `aws_secret_access_key = ${AWS_SECRET}`, `aws_secret_access_key = ${R('aws_secret_access_key')}`],
  ['an AWS secret key in env form', `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`, `AWS_SECRET_ACCESS_KEY=${R('aws_secret_access_key')}`],
  ['an AWS secret key in JSON', `{"SecretAccessKey": "${AWS_SECRET}"}`, `{"SecretAccessKey": "${R('aws_secret_access_key')}"}`],
  ['an AWS secret key next to its key id (CSV)', `${AKIA},${AWS_SECRET}`, `${R('aws_access_key_id')},${R('aws_secret_access_key')}`],
  // GitHub, GitLab, npm
  ...['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'].map((p): Case => [`a GitHub ${p} token`, `t ${p}${mix(36)}`, `t ${R('github_token')}`]),
  ['a fine-grained GitHub token', `GH=${GH_PAT}`, `GH=${R('github_token')}`],
  ['a GitHub token glued to a word', `xtoken${GHP}`, `xtoken${R('github_token')}`],
  ['a GitHub token as a git URL password', `https://x-access-token:${'ghs_' + mix(36)}@github.com/o/r.git`, `https://x-access-token:${R('github_token')}@github.com/o/r.git`],
  ['a GitLab token', 'glpat-' + mix(20), R('gitlab_token')],
  ['an npm token', '//registry.npmjs.org/:_authToken=npm_' + mix(36), `//registry.npmjs.org/:_authToken=${R('npm_token')}`],
  // Slack
  ...['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-'].map((p): Case => [`a Slack ${p} token`, `${p}1234567890-${mix(24)} x`, `${R('slack_token')} x`]),
  ['a Slack app-level token (xapp-)', `xapp-1-A0${mix(9, UPNUM)}-1234567890-${mix(40)}`, R('slack_token')],
  ['a Slack webhook URL', `url=https://hooks.slack.com/services/T0${mix(8, UPNUM)}/B0${mix(8, UPNUM)}/${mix(24)}`, `url=https://hooks.slack.com/services/${R('slack_webhook')}`],
  // Stripe
  ['a Stripe live secret key', 'sk_live_' + mix(24), R('stripe_key')],
  ['a Stripe restricted key', 'rk_live_' + mix(24), R('stripe_key')],
  ['a Stripe test secret key', 'sk_test_' + mix(24), R('stripe_key')],
  ['a Stripe webhook secret', 'whsec_' + mix(32), R('stripe_key')],
  // OpenAI, Anthropic
  ['an OpenAI project key', `OPENAI=${SK_PROJ}`, `OPENAI=${R('openai_key')}`],
  ['an OpenAI service-account key', 'sk-svcacct-' + mix(60), R('openai_key')],
  ['an OpenAI admin key', 'sk-admin-' + mix(60), R('openai_key')],
  ['a legacy OpenAI key', `key ${SK_LEGACY}.`, `key ${R('openai_key')}.`],
  ['a legacy OpenAI key of one repeated letter', 'sk-' + 'a'.repeat(48), R('openai_key')],
  ['an OpenAI key glued after an underscore', `session_${SK_PROJ}`, `session_${R('openai_key')}`],
  ['an Anthropic key', `x ${SK_ANT} y`, `x ${R('anthropic_key')} y`],
  ['an Anthropic key glued to a word (session_sk-ant-)', `session_${SK_ANT}`, `session_${R('anthropic_key')}`],
  // Google
  ['a Google API key', `https://maps.googleapis.com/maps/api?key=${AIZA}&q=x`, `https://maps.googleapis.com/maps/api?key=${R('google_api_key')}&q=x`],
  ['a Google OAuth access token', 'ya29.' + mix(60), R('google_oauth_token')],
  // Azure
  [
    'an Azure SAS signature in a URL',
    'https://acct.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&sp=r&se=2030-01-01&sig=' + mix(40) + '%2B' + mix(3) + '%3D',
    `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&sp=r&se=2030-01-01&sig=${R('azure_sas')}`,
  ],
  [
    'an Azure SAS signature in a connection string',
    'SharedAccessSignature=sv=2022-11-02&sig=' + mix(44) + ';BlobEndpoint=https://a',
    `SharedAccessSignature=sv=2022-11-02&sig=${R('azure_sas')};BlobEndpoint=https://a`,
  ],
  [
    'an Azure storage account key',
    `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${mix(86, B64CH)}==;EndpointSuffix=core.windows.net`,
    `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${R('azure_storage_key')};EndpointSuffix=core.windows.net`,
  ],
  // JWT
  ['a JWT', `jwt: ${JWT}`, `jwt: ${R('jwt')}`],
  ['a JWT glued to a word', `token${JWT}`, `token${R('jwt')}`],
  ['an unsigned JWT (empty signature)', `t=${JWT.split('.').slice(0, 2).join('.')}.`, `t=${R('jwt')}`],
  ['a five-segment JWE', `${JWT}.${mix(20)}.${mix(22)} done`, `${R('jwt')} done`],
  // PEM
  ...['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'DSA PRIVATE KEY'].map(
    (label): Case => [`a whole ${label} block`, `key:\n${pem(label)}\nafter`, `key:\n${R('private_key')}\nafter`],
  ),
  ['a PGP private key block', `${pem('PGP PRIVATE KEY BLOCK')} x`, `${R('private_key')} x`],
  ['a PEM block with no END (to the end of the text)', `head -----BEGIN PRIVATE KEY-----\n${PEM_BODY}\nmore`, `head ${R('private_key')}`],
  ['a PEM block JSON-escaped in a string', `"k": "${pem('PRIVATE KEY').replace(/\n/g, '\\n')}"`, `"k": "${R('private_key')}"`],
  // URL passwords and connection strings
  ['a postgres URL password (only the password)', 'postgres://app:' + 's3cr' + 'et@db.internal:5432/shop', `postgres://app:${R('url_password')}@db.internal:5432/shop`],
  ['a mongodb+srv URL password', 'mongodb+srv://u:' + 'pw1' + '@cluster0.x.mongodb.net/db', `mongodb+srv://u:${R('url_password')}@cluster0.x.mongodb.net/db`],
  ['a redis URL with only a password', 'redis://:' + 'hunter2' + '@cache:6379/0', `redis://:${R('url_password')}@cache:6379/0`],
  ['an amqp URL password', 'amqp://guest:' + 'gu3st' + '@mq:5672/', `amqp://guest:${R('url_password')}@mq:5672/`],
  ['a mysql URL password with an @ inside', 'mysql://root:' + 'p@ss' + '@127.0.0.1/db', `mysql://root:${R('url_password')}@127.0.0.1/db`],
  ['two URLs back to back', 'x://a:' + 'b' + '@://c:' + 'd' + '@h', `x://a:${R('url_password')}@://c:${R('url_password')}@h`],
  ['an ODBC Password=...;', 'Server=db;Database=app;User Id=sa;Password=' + 'P@ss w0rd' + ';', `Server=db;Database=app;User Id=sa;Password=${R('password')} w0rd;`],
  ['an ODBC Pwd={...} value', 'Driver={SQL};Uid=sa;Pwd={' + 'a;b}c' + '};', `Driver={SQL};Uid=sa;Pwd={${R('password')}}c};`],
  ['a JDBC query-string password', 'jdbc:postgresql://db/app?user=app&password=' + 'pw9' + '&ssl=true', `jdbc:postgresql://db/app?user=app&password=${R('password')}&ssl=true`],
  // Authorization
  ['an Authorization Bearer header', 'Authorization: Bearer ' + 'xyz', `Authorization: Bearer ${R('authorization')}`],
  ['an Authorization Basic header', `Authorization: Basic ${basic('user:pass')}\nHost: a`, `Authorization: Basic ${R('authorization')}\nHost: a`],
  ['an Authorization header with no scheme', 'authorization: ' + 'abc123', `authorization: ${R('authorization')}`],
  ['a Proxy-Authorization header', 'Proxy-Authorization: Basic ' + basic('a:b'), `Proxy-Authorization: Basic ${R('authorization')}`],
  ['a curl -H Authorization header', `curl -H 'Authorization: Bearer ${mix(30)}' https://api`, `curl -H 'Authorization: Bearer ${R('authorization')}' https://api`],
  ['a bare Bearer credential in text', `sent Bearer ${mix(12)} to api`, `sent Bearer ${R('authorization')} to api`],
  ['a bare Basic credential in text', `use Basic ${basic('admin:secret1')} now`, `use Basic ${R('authorization')} now`],
  ['a Cookie header', 'Cookie: session=' + 'abc; theme=dark', `Cookie: ${R('cookie')}`],
  ['a Set-Cookie header', 'Set-Cookie: sid=' + 'x1; Path=/; HttpOnly\nX: y', `Set-Cookie: ${R('cookie')}\nX: y`],
  ['an X-Api-Key header', 'X-Api-Key: ' + 'k-123', `X-Api-Key: ${R('api_key')}`],
  // Separator variants of a number-shaped secret (THREATS class 10)
  ['a US SSN with dashes', 'ssn ' + '123-45-' + '6789.', `ssn ${R('ssn')}.`],
  ['a US SSN with spaces', 'id: ' + '123 45 ' + '6789', `id: ${R('ssn')}`],
  ['a US SSN with dots, glued to words', 'x' + '123.45.' + '6789y', `x${R('ssn')}y`],
];

const PAIR_CASES: readonly Case[] = [
  ['password=', 'password=' + 'hunter2', `password=${R('password')}`],
  ['passwd: ', 'passwd: ' + 'hunter2', `passwd: ${R('password')}`],
  ['pwd=', 'pwd=' + 'hunter2&x=1', `pwd=${R('password')}&x=1`],
  ['api_key:', 'api_key:' + 'k1', `api_key:${R('api_key')}`],
  ['apikey=', 'apikey=' + 'k1', `apikey=${R('api_key')}`],
  ['secret=', 'secret=' + 's1', `secret=${R('secret')}`],
  ['token=', 'token=' + 't1', `token=${R('token')}`],
  ['access_token in a query', '/cb?access_token=' + 't1' + '&state=2', `/cb?access_token=${R('token')}&state=2`],
  ['client_secret=', 'client_secret=' + 'cs1', `client_secret=${R('secret')}`],
  ['refresh_token:', 'refresh_token: ' + 'rt1', `refresh_token: ${R('token')}`],
  ['DB_PASSWORD= in env', 'export DB_PASSWORD=' + 'pw', `export DB_PASSWORD=${R('password')}`],
  ['PGPASSWORD=', 'PGPASSWORD=' + 'pw', `PGPASSWORD=${R('password')}`],
  ['dbPassword:', 'dbPassword: ' + 'pw', `dbPassword: ${R('password')}`],
  ['API-KEY:', 'API-KEY: ' + 'k', `API-KEY: ${R('api_key')}`],
  ['a JSON "password": "x"', '{"user": "a", "password": "' + 'p w' + '"}', `{"user": "a", "password": "${R('password')}"}`],
  ['a JSON value with an escaped quote', '{"password": "' + 'a\\"b' + '", "n": 1}', `{"password": "${R('password')}", "n": 1}`],
  ['a Python dict', "{'password': '" + 'pw' + "'}", `{'password': '${R('password')}'}`],
  ['spaces around = and a quoted value', 'password = "' + 'two words' + '"', `password = "${R('password')}"`],
  ['tabs around =', 'password\t=\t' + 'pw', `password\t=\t${R('password')}`],
  ['Go-style :=', 'password := ' + 'pw', `password := ${R('password')}`],
  ['PHP/Ruby =>', "'password' => '" + 'pw' + "'", `'password' => '${R('password')}'`],
  ['an XML element', '<password>' + 'pw' + '</password>', `<password>${R('password')}</password>`],
  ['a --password flag with a space', 'mysql --password ' + 'pw -h db', `mysql --password ${R('password')} -h db`],
  ['a --token= flag', 'gh --token=' + 'tk', `gh --token=${R('token')}`],
  ['a JSON pair inside an encoded JSON string', '{\\"password\\":\\"' + 'pw' + '\\"}', `{\\"password\\":\\"${R('password')}\\"}`],
  ['a Java toString', 'User{name=a, password=' + 'pw' + '}', `User{name=a, password=${R('password')}}`],
  ['a numeric password', '"password": ' + '1234' + ',', `"password": ${R('password')},`],
];

const EVASION_CASES: readonly Case[] = [
  ['a zero-width space inside a token prefix', 'gh\u200bp_' + mix(36), R('github_token')],
  ['a zero-width joiner inside a token body', 'ghp_' + mix(18) + '\u200d' + mix(18), R('github_token')],
  ['a bidi override inside a token', 'sk-ant-\u202e' + mix(30), R('anthropic_key')],
  ['zero-width characters outside a finding are kept', '\u200b' + GHP + '\u200b', `\u200b${R('github_token')}\u200b`],
  ['a fullwidth token', fullwidth(GHP), R('github_token')],
  ['a percent-encoded underscore in a token', 'ghp%5F' + mix(36), R('github_token')],
  ['a \\u-escaped underscore in a token', 'ghp\\u005f' + mix(36), R('github_token')],
  ['a Cyrillic а in a key name', 'p\u0430ssword=' + 'pw', `p\u0430ssword=${R('password')}`],
  ['a fullwidth key name', 'ｐａｓｓｗｏｒｄ=' + 'pw', `ｐａｓｓｗｏｒｄ=${R('password')}`],
  ['a mathematical bold key name', '𝐩𝐚𝐬𝐬𝐰𝐨𝐫𝐝=' + 'pw', `𝐩𝐚𝐬𝐬𝐰𝐨𝐫𝐝=${R('password')}`],
  ['a zero-width space inside a key name', 'pass\u200bword=' + 'pw', `pass\u200bword=${R('password')}`],
  ['a Greek ο in a key name', 't\u03bfken: ' + 'tk', `t\u03bfken: ${R('token')}`],
];

const OCCURRENCE_CASES: readonly Case[] = [
  ['the same token three times', `${GHP} ${GHP}\n${GHP}`, `${R('github_token')} ${R('github_token')}\n${R('github_token')}`],
  ['three password pairs', 'password=a password=b password=c', `password=${R('password')} password=${R('password')} password=${R('password')}`],
  ['different kinds in one line', `${AKIA} ${SK_ANT} ${JWT}`, `${R('aws_access_key_id')} ${R('anthropic_key')} ${R('jwt')}`],
  ['secrets on many lines', Array.from({ length: 50 }, (_, i) => `line ${i} token=t${i}`).join('\n'), Array.from({ length: 50 }, (_, i) => `line ${i} token=${R('token')}`).join('\n')],
];

const OVERLAP_CASES: readonly Case[] = [
  ['a token format inside a token= pair takes the format kind', `token=${GHP}`, `token=${R('github_token')}`],
  ['a JWT inside a Bearer header', `Authorization: Bearer ${JWT}`, `Authorization: Bearer ${R('jwt')}`],
  ['a JWT in an access_token query parameter', `/cb?access_token=${JWT}&x=1`, `/cb?access_token=${R('jwt')}&x=1`],
  ['a PEM block under a private_key JSON key', `{"private_key": "${pem('PRIVATE KEY').replace(/\n/g, '\\n')}\\n"}`, `{"private_key": "${R('private_key')}"}`],
  ['an AWS key id inside a GitHub token body', 'ghp_' + 'AKIA' + mix(32, UPNUM), R('github_token')],
  ['a password pair whose value holds a URL', 'password=postgres://a:' + 'b' + '@h', `password=${R('password')}`],
  ['an AWS secret key holding a / inside a URL userinfo', `${AKIA} x://u:${AWS_SECRET}@h`, `${R('aws_access_key_id')} x://u:${R('aws_secret_access_key')}@h`],
  ['two GitHub tokens glued together (their spans overlap)', GHP + 'ghp_' + mix(36, UPNUM), R('github_token')],
  ['a token as a URL user name with more userinfo', `https://${GHP}.x@github.com/`, `https://${R('github_token')}.x@github.com/`],
];

const BENIGN: readonly (readonly [string, string])[] = [
  ['prose mentioning a password', 'Please reset your password and try again; the password is required.'],
  ['task-list and risk-assessment words', 'open the task-list, then the risk-assessment-framework-document-v2'],
  ['a git SHA', 'commit 3f2a9c1e7b4d5a6f8e9d0c1b2a3f4e5d6c7b8a9f'],
  ['a UUID', 'request 6f1c2a9e-5b7d-4e0a-9c1f-2b3d4e5f6a7b'],
  ['token counts', '{"max_tokens": 1024, "prompt_tokens": 12, "token_count": 3}'],
  ['secret metadata', '{"secret_name": "db-creds", "password_min_length": 12, "token_type": "Bearer"}'],
  ['a URL without credentials', 'https://example.com:8443/path?page=2&sort=asc#top'],
  ['an e-mail address', 'mail user@example.com about it'],
  ['a clock time', 'at 12:30:45 on 2024-05-01'],
  ['a bearer in prose', 'the bearer of this letter'],
  ['basic in prose', 'basic usage: run the tool'],
  ['a placeholder in angle brackets', 'Replace <token> with yours, then <password> too'],
  ['a null value', '{"password": null, "token": ""}'],
  ['a certificate (public)', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'],
  ['eyJ without segments', 'eyJhbGciOiJIUzI1NiJ9 alone'],
  ['a short AKIA', 'AKIA123'],
  ['sk- in a word', 'desk-lamp and ask-me-anything'],
  ['a disk id with 32 hex digits', 'disk-3f2a9c1e7b4d5a6f8e9d0c1b2a3f4e5d attached'],
  ['a marker already in the text', `password=${R('password')} and ${R('github_token')}`],
  ['a cursor token', '{"nextPageToken": "abc", "NextToken": "def"}'],
  ['a file path', '/home/user/.config/app/settings.json'],
  ['a phone number', 'call 555-123-4567 or 1-555-12-3456'],
  ['invalid SSN areas and groups', '000-12-3456 666-12-3456 912-34-5678 123-00-4567 123-45-0000'],
  ['an SSN-shaped part of a longer number', '1123-45-67890 and 123-45-6789-1'],
  ['mixed separators', '123-45.6789'],
];

describe('redactString: secrets by value', () => {
  it.each(VALUE_CASES)('redacts %s', (_name, input, expected) => {
    expect(redactString(input)).toBe(expected);
  });
});

describe('redactString: key=value pairs in text, every separator', () => {
  it.each(PAIR_CASES)('redacts the value of %s', (_name, input, expected) => {
    expect(redactString(input)).toBe(expected);
  });
});

describe('redactString: text evasions (zero-width, fullwidth, confusables, escapes)', () => {
  it.each(EVASION_CASES)('redacts %s', (_name, input, expected) => {
    expect(redactString(input)).toBe(expected);
  });
});

describe('redactString: every occurrence', () => {
  it.each(OCCURRENCE_CASES)('redacts %s', (_name, input, expected) => {
    expect(redactString(input)).toBe(expected);
  });
});

describe('redactString: overlapping findings merge into one span', () => {
  it.each(OVERLAP_CASES)('merges %s', (_name, input, expected) => {
    expect(redactString(input)).toBe(expected);
  });
});

describe('redactString: benign text is left alone (no false positives)', () => {
  it.each(BENIGN)('keeps %s', (_name, input) => {
    expect(redactString(input)).toBe(input);
    expect(findSecrets(input)).toEqual([]);
  });
});

describe('the documented examples', () => {
  it('redact', () => {
    expect(redact({ headers: { Authorization: 'Bearer abc' }, url: 'postgres://app:s3cret@db/app' })).toEqual({
      headers: { Authorization: R('authorization') },
      url: `postgres://app:${R('url_password')}@db/app`,
    });
  });

  it('redactDetailed', () => {
    expect(redactDetailed({ log: 'key=AIza' + 'x'.repeat(35) })).toEqual({
      value: { log: `key=${R('google_api_key')}` },
      findings: [{ kind: 'google_api_key', path: '$.log', start: 4, end: 43 }],
    });
  });

  it('redactString', () => {
    expect(redactString('export GITHUB_TOKEN=ghp_' + 'a'.repeat(36))).toBe(`export GITHUB_TOKEN=${R('github_token')}`);
  });
});

describe('findSecrets', () => {
  it('reports merged spans in offsets of the original text, sorted', () => {
    const text = `a ${GHP} b token=${GHP}`;
    const at = text.indexOf(GHP);
    const second = text.lastIndexOf(GHP);
    expect(findSecrets(text)).toEqual([
      { kind: 'github_token', start: at, end: at + GHP.length },
      { kind: 'github_token', start: second, end: second + GHP.length },
    ]);
  });

  it('maps a span back over the zero-width characters inside it', () => {
    const text = 'x gh\u200bp_' + mix(36) + ' y';
    expect(findSecrets(text)).toEqual([{ kind: 'github_token', start: 2, end: 2 + 5 + 36 }]);
  });

  it('reports only the password span of a URL', () => {
    expect(findSecrets('db: postgres://u:pw@h/db')).toEqual([{ kind: 'url_password', start: 17, end: 19 }]);
  });
});

describe('the high-entropy fallback', () => {
  const RANDOM = 'q' + mix(31, 'x7Kp2Lm9Qw4Zr8Tn3Vb6Hc1Jd5Fg0Ys');

  it('is off by default', () => {
    expect(redactString(`value ${RANDOM} end`)).toBe(`value ${RANDOM} end`);
  });

  it('redacts a random-looking run when entropy is on', () => {
    expect(redactString(`value ${RANDOM} end`, { entropy: true })).toBe(`value ${R('high_entropy')} end`);
  });

  it.each([
    ['a long word', 'internationalization'],
    ['a repeated pattern', 'ab12ab12ab12ab12ab12ab12'],
    ['letters only', 'abcdefghijklmnopqrstuvwxyzABCDEF'],
  ])('keeps %s even with entropy on', (_name, word) => {
    expect(redactString(`x ${word} y`, { entropy: true })).toBe(`x ${word} y`);
  });
});

describe('isSecretKey', () => {
  const SECRET_KEYS: readonly (readonly [string, string])[] = [
    ['password', 'password'],
    ['Password', 'password'],
    ['PASSWORD', 'password'],
    ['passwd', 'password'],
    ['pwd', 'password'],
    ['db_password', 'password'],
    ['password_confirmation', 'password'],
    ['newPassword2', 'password'],
    ['secret', 'secret'],
    ['client_secret', 'secret'],
    ['clientSecret', 'secret'],
    ['credentials', 'secret'],
    ['token', 'token'],
    ['accessToken', 'token'],
    ['refresh_token', 'token'],
    ['X-Auth-Token', 'token'],
    ['api_key', 'api_key'],
    ['apiKey', 'api_key'],
    ['API-KEY', 'api_key'],
    ['Api_Key', 'api_key'],
    ['x-api-key', 'api_key'],
    ['APIKey', 'api_key'],
    ['authorization', 'authorization'],
    ['Proxy-Authorization', 'authorization'],
    ['auth', 'authorization'],
    ['cookie', 'cookie'],
    ['set-cookie', 'cookie'],
    ['private_key', 'private_key'],
    ['privateKeyPem', 'private_key'],
    ['aws_secret_access_key', 'aws_secret_access_key'],
    ['AccountKey', 'azure_storage_key'],
    ['p\u0430ssword', 'password'],
    ['ｐａｓｓｗｏｒｄ', 'password'],
    ['pass\u200bword', 'password'],
    ['p_a_s_s_w_o_r_d', 'password'],
    ['ΤΟΚΕΝ', 'token'],
  ];

  it.each(SECRET_KEYS)('treats %s as a secret key (kind %s)', (key, kind) => {
    expect(isSecretKey(key)).toBe(true);
    expect(redactDetailed({ [key]: 'v' }).findings).toEqual([{ kind, path: expect.any(String), start: -1, end: -1 }]);
  });

  it.each([
    'max_tokens',
    'prompt_tokens',
    'token_count',
    'tokenizer',
    'token_type',
    'secret_name',
    'secretRef',
    'password_min_length',
    'private_key_id',
    'aws_access_key_id',
    'cookie_domain',
    'bypass',
    'compass',
    'author',
    'oauth',
    'nextPageToken',
    'passwordless',
    'keyboard',
    'monkey',
    'name',
    '',
  ])('does not treat %j as a secret key', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
});

describe('redact: values under secret keys are replaced whole', () => {
  it.each([
    ['a string', 'hunter2'],
    ['a number', 1234],
    ['a boolean', true],
    ['an object', { user: 'a', pass: 'b' }],
    ['an array', ['a', 'b']],
    ['an empty string', ''],
  ])('replaces %s', (_name, value) => {
    expect(redact({ password: value })).toEqual({ password: R('password') });
  });

  it('keeps null and undefined under a secret key (they hold nothing)', () => {
    expect(redact({ password: null, token: undefined })).toEqual({ password: null, token: undefined });
  });

  it('redacts a typical request and reports every path', () => {
    const request = {
      tool: 'http',
      args: {
        url: 'https://api.example.com/x?api_key=' + 'k9',
        headers: { Authorization: 'Bearer ' + 'abc', 'x-api-key': 'k', Accept: 'json' },
        body: { note: `use ${GHP}`, items: [{ apiKey: 'k2' }, { ok: 1 }] },
      },
    };
    const { value, findings } = redactDetailed(request);
    expect(value).toEqual({
      tool: 'http',
      args: {
        url: `https://api.example.com/x?api_key=${R('api_key')}`,
        headers: { Authorization: R('authorization'), 'x-api-key': R('api_key'), Accept: 'json' },
        body: { note: `use ${R('github_token')}`, items: [{ apiKey: R('api_key') }, { ok: 1 }] },
      },
    });
    expect(findings).toEqual([
      { kind: 'api_key', path: '$.args.url', start: 34, end: 36 },
      { kind: 'authorization', path: '$.args.headers.Authorization', start: -1, end: -1 },
      { kind: 'api_key', path: '$.args.headers["x-api-key"]', start: -1, end: -1 },
      { kind: 'github_token', path: '$.args.body.note', start: 4, end: 4 + GHP.length },
      { kind: 'api_key', path: '$.args.body.items[0].apiKey', start: -1, end: -1 },
    ]);
  });

  it.each([
    ['[name, value] header tuples', { headers: [['Authorization', 'Basic x'], ['Accept', 'json']] }, { headers: [['Authorization', R('authorization')], ['Accept', 'json']] }],
    ['Kubernetes env name/value pairs', { env: [{ name: 'DB_PASSWORD', value: 'pw' }, { name: 'MODE', value: 'prod' }] }, { env: [{ name: 'DB_PASSWORD', value: R('password') }, { name: 'MODE', value: 'prod' }] }],
    ['AWS-style Key/Value tags', { Tags: [{ Key: 'api_token', Value: 'tk' }] }, { Tags: [{ Key: 'api_token', Value: R('token') }] }],
    ['confusable key names', { 'p\u0430ssword': 'a', 'ｔｏｋｅｎ': 'b' }, { 'p\u0430ssword': R('password'), 'ｔｏｋｅｎ': R('token') }],
    ['deeply nested secrets', { a: [{ b: { c: [{ secret: 's' }] } }] }, { a: [{ b: { c: [{ secret: R('secret') }] } }] }],
    ['extraKeys', { ssn: '123', customer_ssn: '456', ssn_hint: 'x' }, { ssn: R('secret'), customer_ssn: R('secret'), ssn_hint: 'x' }],
  ] as const)('handles %s', (_name, input, expected) => {
    expect(redact(input as unknown, { extraKeys: ['ssn'] })).toEqual(expected);
  });

  it('applies extraKeys to key=value pairs in text too', () => {
    expect(redactString('customer_ssn=' + '12' + ' ok', { extraKeys: ['ssn'] })).toBe(`customer_ssn=${R('secret')} ok`);
    expect(redactString('customer_ssn=' + '12' + ' ok')).toBe('customer_ssn=12 ok');
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('does not treat the prototype key %s as a secret key', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });

  it('quotes keys that are not identifiers in finding paths', () => {
    expect(redactDetailed({ 'a b': { 'x-api-key': 'k' }, list: [{ 'p.w': { secret: 1 } }] }).findings).toEqual([
      { kind: 'api_key', path: '$["a b"]["x-api-key"]', start: -1, end: -1 },
      { kind: 'secret', path: '$.list[0]["p.w"].secret', start: -1, end: -1 },
    ]);
  });

  it('redacts secrets found inside object keys and reports them with #key', () => {
    const input = { [GHP]: 1, other: 2 };
    const { value, findings } = redactDetailed(input);
    expect(value).toEqual({ [R('github_token')]: 1, other: 2 });
    expect(findings).toEqual([{ kind: 'github_token', path: `$["${R('github_token')}"]#key`, start: 0, end: GHP.length }]);
  });

  it('does not treat a key it redacted as a secret key on a second pass', () => {
    const once = redact({ [GHP]: 1, tuple: [GHP, 2] });
    expect(once).toEqual({ [R('github_token')]: 1, tuple: [R('github_token'), 2] });
    expect(redact(once)).toEqual(once);
  });

  it('keeps two keys that redact to the same text apart', () => {
    const input = { [GHP]: 1, ['ghp_' + mix(36, UPNUM)]: 2 };
    expect(redact(input)).toEqual({ [R('github_token')]: 1, [`${R('github_token')}#2`]: 2 });
  });

  it('scans bytes and replaces a buffer holding a secret', () => {
    expect(redact({ b: Buffer.from(`token=${GHP}`) })).toEqual({ b: R('github_token') });
    const clean = redact({ b: Buffer.from('hello') });
    expect(Buffer.isBuffer(clean.b)).toBe(true);
    expect(clean.b.toString()).toBe('hello');
  });

  it('copies other objects by their own enumerable keys (a Map holds none, so it becomes {})', () => {
    class Creds {
      password = 'x';
      user = 'u';
    }
    expect(redact({ c: new Creds(), m: new Map([['password', 'x']]) })).toEqual({ c: { password: R('password'), user: 'u' }, m: {} });
  });

  it('copies dates and leaves numbers, booleans and null alone', () => {
    const d = new Date(0);
    const out = redact({ d, n: 1, b: false, z: null });
    expect(out).toEqual({ d: new Date(0), n: 1, b: false, z: null });
    expect(out.d).not.toBe(d);
  });
});

describe('redact: prototype keys are ordinary data', () => {
  it('keeps __proto__ from JSON.parse as an own key and redacts under it', () => {
    const input = JSON.parse('{"__proto__": {"password": "x"}, "constructor": {"token": "t"}, "toString": "s"}') as Record<string, unknown>;
    const out = redact(input);
    expect(Object.keys(out)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ password: R('password') });
    expect(out['constructor']).toEqual({ token: R('token') });
    expect(({} as Record<string, unknown>)['password']).toBeUndefined();
  });

  it('keeps a null prototype', () => {
    const input = Object.create(null) as Record<string, unknown>;
    input['secret'] = 's';
    const out = redact(input);
    expect(Object.getPrototypeOf(out)).toBeNull();
    expect(out['secret']).toBe(R('secret'));
  });
});

describe('redact: the input is never mutated', () => {
  function deepFreeze<T>(v: T): T {
    if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
      Object.freeze(v);
    }
    return v;
  }

  it('returns a copy and leaves a frozen input intact', () => {
    const input = deepFreeze({ a: { password: 'x', note: `t ${GHP}` }, list: [{ token: 't' }, 'password=y'] });
    const before = JSON.stringify(input);
    const out = redact(input);
    expect(JSON.stringify(input)).toBe(before);
    expect(out).not.toBe(input);
    expect(out.a).not.toBe(input.a);
    expect(out.list[0]).not.toBe(input.list[0]);
  });
});

describe('limits fail closed', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return e instanceof WardenError ? e.code : 'not a WardenError';
    }
    return undefined;
  };

  it.each([
    ['a string over maxStringLength (redact)', () => redact({ a: 'x'.repeat(11) }, { maxStringLength: 10 })],
    ['a string over maxStringLength (redactString)', () => redactString('x'.repeat(11), { maxStringLength: 10 })],
    ['a string over maxStringLength (findSecrets)', () => findSecrets('x'.repeat(11), { maxStringLength: 10 })],
    ['a key over maxStringLength', () => redact({ ['k'.repeat(11)]: 1 }, { maxStringLength: 10 })],
    ['nesting over maxDepth', () => redact({ a: { b: { c: 1 } } }, { maxDepth: 2 })],
    ['a cycle', () => {
      const a: Record<string, unknown> = {};
      a['self'] = a;
      return redact(a);
    }],
    ['bytes over maxStringLength', () => redact(new Uint8Array(11), { maxStringLength: 10 })],
  ])('throws ERR_REDACTION_LIMIT for %s', (_name, fn) => {
    expect(code(fn)).toBe('ERR_REDACTION_LIMIT');
  });

  it('accepts nesting exactly at maxDepth', () => {
    expect(redact({ a: { b: 1 } }, { maxDepth: 2 })).toEqual({ a: { b: 1 } });
  });

  it.each([
    ['a negative maxDepth', { maxDepth: -1 }],
    ['a fractional maxStringLength', { maxStringLength: 1.5 }],
    ['NaN maxDepth', { maxDepth: Number.NaN }],
    ['extraKeys that are not strings', { extraKeys: [1] as unknown as string[] }],
  ])('throws ERR_REDACTION_OPTIONS for %s', (_name, options) => {
    expect(code(() => redact({}, options))).toBe('ERR_REDACTION_OPTIONS');
  });

  it('never puts the secret into a limit error message', () => {
    try {
      redact({ note: `${GHP} ${'x'.repeat(20)}` }, { maxStringLength: 10 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WardenError);
      expect((e as Error).message).not.toContain(GHP);
    }
  });
});

describe('the re-scan of the output', () => {
  // A detector whose own marker re-creates a match (`]` plus the next character): only the
  // re-scan can notice, and it must throw rather than return.
  const gluing: Detector = (t, _ctx, out) => {
    for (let i = t.indexOf(']'); i >= 0 && i + 1 < t.length; i = t.indexOf(']', i + 1)) out.push({ kind: 'secret', start: i, end: i + 2, priority: 0 });
  };

  it('throws ERR_REDACTION_INCOMPLETE when the output still holds a finding', () => {
    expect(() => redactText('x]y z', { entropy: false, extraKeys: [] }, [gluing])).toThrow(
      expect.objectContaining({ code: 'ERR_REDACTION_INCOMPLETE' }),
    );
  });

  it('passes when the output is clean', () => {
    expect(redactText('x]y', { entropy: false, extraKeys: [] }, [gluing]).text).toBe(`x${R('secret')}`);
  });
});

describe('1 MB adversarial inputs: outcome only (timing lives in bench/redact.ts)', () => {
  const MB = 1024 * 1024;
  const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

  it.each([
    ['1 MB of a', fill('a')],
    ['1 MB of eyJ', fill('eyJ')],
    ['1 MB of :@:@', fill(':@:@')],
    ['1 MB of sk-', fill('sk-')],
    ['1 MB of ://', fill('://')],
    ['1 MB of \\"', fill('\\"')],
    ['1 MB of [REDACTED:', fill('[REDACTED:')],
    ['1 MB of "password":"', fill('"password":"')],
    ['1 MB of bearer abc', fill('bearer abc ')],
    ['1 MB of --a', fill('--a')],
    ['1 MB of <password>', fill('<password>')],
    ['1 MB of zero-width spaces', fill('\u200b')],
  ])('leaves %s unchanged', (_name, text) => {
    expect(redactString(text)).toBe(text);
  });

  it('redacts an unterminated PEM block to the end', () => {
    expect(redactString('ok ' + fill('-----BEGIN PRIVATE KEY-----'))).toBe(`ok ${R('private_key')}`);
  });

  it('redacts 1 MB of password= as one value', () => {
    expect(redactString(fill('password='))).toBe(`password=${R('password')}`);
  });

  it('redacts every URL password in 1 MB of ://a:b@', () => {
    const out = redactString(fill('://a:b@'));
    expect(out).not.toMatch(/:b@/);
    expect(findSecrets(out, { maxStringLength: 8 * MB })).toEqual([]);
  });
});

// Pieces that combine into near-misses, glued secrets, markers and evasions.
const FRAGMENTS = [
  GHP, AKIA, AWS_SECRET, SK_ANT, SK_PROJ, JWT, AIZA, 'xoxb-1234567890-abcdefghij', 'sk_live_' + mix(20),
  '-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----', 'postgres://u:', '://', '@', ':', '=', '"', "'", '\\', '\\"',
  'password', 'token', 'api_key', 'Authorization: ', 'Bearer ', 'Basic ', 'Cookie: ', '--password ', 'sig=', 'eyJ', '.',
  '[REDACTED:password]', '[REDACTED:', ']', '[', '{', '}', '<password>', '</password>', '&', ';', ',', ' ', '\n',
  '\u200b', 'а', 'ｐ', '%5F', 'a', 'Z', '9', '_', '-', '/', '+',
];
const textArb = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 24 }).map((parts) => parts.join(''));
const mixedTextArb = fc.oneof(textArb, fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 40 }));

describe('properties', () => {
  it('redactString output re-scans clean and is a fixed point (idempotent)', () => {
    fc.assert(
      fc.property(mixedTextArb, fc.boolean(), (text, entropy) => {
        const once = redactString(text, { entropy });
        expect(findSecrets(once, { entropy })).toEqual([]);
        expect(redactString(once, { entropy })).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });

  it('redact never throws on JSON-like values within the limits, and is idempotent', () => {
    const keyArb = fc.oneof(fc.constantFrom('password', 'apiKey', 'x-api-key', '__proto__', 'constructor', 'note', 'Authorization'), fc.string({ maxLength: 8 }));
    const leaf = fc.oneof(fc.jsonValue({ maxDepth: 0 }), textArb);
    const valueArb = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(keyArb, tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(valueArb, (value) => {
        const once = redact(value);
        expect(redact(once)).toEqual(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('never leaves a GitHub token readable, wherever it is glued', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (before, after) => {
        const out = redactString(before + GHP + after);
        expect(out).not.toContain(GHP.slice(4, 30));
      }),
      { numRuns: 1000 },
    );
  });
});
