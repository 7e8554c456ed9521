/**
 * The deployment configuration a compliance report reads (`--config`): how the audit log is kept,
 * whether identities are required, where the kill switch lives. Strict: an unknown key or a wrong
 * type is an error, never ignored.
 */
import { lazyModule } from '../lib/lazy-module.js';
import { WardenError } from '../errors.js';
import type { CheckResult, EvidenceRef } from './types.js';

// yaml loads with the first configuration read (src/lib/lazy-module.ts).
const yamlParser = lazyModule<typeof import('../lib/yaml-parse.js')>('lib/yaml-parse');

/**
 * The configuration keys a report reads.
 *
 * @example
 * ```ts
 * const config: DeploymentConfig = { audit: { path: '.warden/audit/main.jsonl', fsync: 'always', signingKey: 'keys/audit.key', publicKey: 'keys/audit.pub', retentionDays: 200 }, identity: { required: true } };
 * ```
 */
export interface DeploymentConfig {
  audit?: { path?: string; fsync?: 'always' | 'everyMs' | 'never'; signingKey?: string; publicKey?: string; retentionDays?: number };
  identity?: { required?: boolean };
  killSwitch?: { store?: string };
}

const SHAPE: Record<string, Record<string, 'string' | 'number' | 'boolean' | readonly string[]>> = {
  audit: { path: 'string', fsync: ['always', 'everyMs', 'never'], signingKey: 'string', publicKey: 'string', retentionDays: 'number' },
  identity: { required: 'boolean' },
  killSwitch: { store: 'string' },
};

/**
 * Reads a configuration file's text (YAML or JSON), strictly.
 *
 * @example
 * ```ts
 * const config = parseDeploymentConfig('audit:\n  retentionDays: 200\n', 'warden.config.yaml');
 * ```
 * @throws WardenError `ERR_COMPLIANCE_INPUT` naming the key that is unknown or of the wrong type.
 */
export function parseDeploymentConfig(text: string, file: string): DeploymentConfig {
  let value: unknown;
  // Outside the try: a YAML library that cannot load is ERR_MODULE_LOAD, not a verdict on the file.
  const { parse } = yamlParser();
  try {
    value = parse(text, { uniqueKeys: true, prettyErrors: false });
  } catch (e) {
    throw new WardenError('ERR_COMPLIANCE_INPUT', `${file} is not valid YAML or JSON: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}.`, { cause: e });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new WardenError('ERR_COMPLIANCE_INPUT', `${file} must hold a mapping (audit:, identity:, killSwitch:).`);
  for (const [section, body] of Object.entries(value as Record<string, unknown>)) {
    const keys = SHAPE[section];
    if (keys === undefined) throw new WardenError('ERR_COMPLIANCE_INPUT', `${file}: unknown key "${section}"; the configuration has ${Object.keys(SHAPE).join(', ')}.`);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new WardenError('ERR_COMPLIANCE_INPUT', `${file}: ${section} must be a mapping.`);
    for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
      const type = keys[key];
      if (type === undefined) throw new WardenError('ERR_COMPLIANCE_INPUT', `${file}: unknown key "${section}.${key}"; ${section} has ${Object.keys(keys).join(', ')}.`);
      const ok = Array.isArray(type) ? (type as readonly string[]).includes(v as string) : typeof v === type && (type !== 'number' || Number.isFinite(v));
      if (!ok) throw new WardenError('ERR_COMPLIANCE_INPUT', `${file}: ${section}.${key} is ${JSON.stringify(v)}; it must be ${Array.isArray(type) ? `one of ${(type as readonly string[]).join(', ')}` : `a ${type as string}`}.`);
    }
  }
  return value as DeploymentConfig;
}

/** Six months of days, counted on the longest six consecutive months (184 days). */
export const SIX_MONTHS_DAYS = 184;

function ref(file: string, key: string, value: unknown, note: string): EvidenceRef {
  return { kind: 'config', file, key, value: value === undefined ? null : value, note };
}

/**
 * The configuration checks. Without a configuration every one is `not-satisfied`, "no evidence".
 *
 * @example
 * ```ts
 * const results = configChecks({ audit: { retentionDays: 200 } }, 'warden.config.yaml');
 * ```
 */
export function configChecks(config: DeploymentConfig | null, file: string | null): CheckResult[] {
  const none = (id: CheckResult['id'], title: string): CheckResult => ({ id, title, status: 'not-satisfied', reason: 'No evidence: no configuration was given (--config).', evidence: [] });
  const titles = {
    enabled: 'The audit log is enabled',
    durable: 'Audit records are written durably (fsync)',
    signed: 'Audit checkpoints are signed',
    retention: 'Logs are kept for at least six months',
    redaction: 'Secrets are redacted from records',
    identity: 'Agents must present a verified identity',
    kill: 'A kill switch can stop agents',
  };
  if (config === null || file === null) {
    return [
      none('config.audit-enabled', titles.enabled),
      none('config.audit-durable', titles.durable),
      none('config.audit-signed', titles.signed),
      none('config.retention-six-months', titles.retention),
      none('config.identity-required', titles.identity),
      none('config.kill-switch', titles.kill),
    ];
  }
  const a = config.audit ?? {};
  const out: CheckResult[] = [];
  out.push(
    a.path
      ? { id: 'config.audit-enabled', title: titles.enabled, status: 'satisfied', reason: `audit.path is ${a.path}`, evidence: [ref(file, 'audit.path', a.path, 'the audit log')] }
      : { id: 'config.audit-enabled', title: titles.enabled, status: 'not-satisfied', reason: 'audit.path is not set: no audit log is configured.', evidence: [ref(file, 'audit.path', undefined, 'absent')] },
  );
  const fsync = a.fsync ?? 'always';
  out.push(
    fsync === 'never'
      ? { id: 'config.audit-durable', title: titles.durable, status: 'not-satisfied', reason: 'audit.fsync is never: a crash can lose acknowledged records.', evidence: [ref(file, 'audit.fsync', 'never', 'never fsynced')] }
      : { id: 'config.audit-durable', title: titles.durable, status: 'satisfied', reason: `audit.fsync is ${fsync}${a.fsync === undefined ? ' (the file sink default)' : ''}`, evidence: [ref(file, 'audit.fsync', a.fsync, `fsync ${fsync}`)] },
  );
  out.push(
    a.signingKey
      ? { id: 'config.audit-signed', title: titles.signed, status: 'satisfied', reason: `audit.signingKey is set (${a.signingKey}); the audit checks verify the signatures`, evidence: [ref(file, 'audit.signingKey', a.signingKey, 'checkpoints signed with this key')] }
      : { id: 'config.audit-signed', title: titles.signed, status: 'not-satisfied', reason: 'audit.signingKey is not set: checkpoints are not signed, so a rewritten log cannot be told from the original.', evidence: [ref(file, 'audit.signingKey', undefined, 'absent')] },
  );
  const days = a.retentionDays;
  out.push(
    days === undefined
      ? { id: 'config.retention-six-months', title: titles.retention, status: 'not-satisfied', reason: 'No evidence: audit.retentionDays is not set.', evidence: [] }
      : days >= SIX_MONTHS_DAYS
        ? { id: 'config.retention-six-months', title: titles.retention, status: 'satisfied', reason: `audit.retentionDays is ${days} (at least ${SIX_MONTHS_DAYS})`, evidence: [ref(file, 'audit.retentionDays', days, 'retention')] }
        : { id: 'config.retention-six-months', title: titles.retention, status: 'not-satisfied', reason: `audit.retentionDays is ${days}, under six months (${SIX_MONTHS_DAYS} days)`, evidence: [ref(file, 'audit.retentionDays', days, 'retention too short')] },
  );
  out.push(
    config.identity?.required === true
      ? { id: 'config.identity-required', title: titles.identity, status: 'satisfied', reason: 'identity.required is true', evidence: [ref(file, 'identity.required', true, 'identities required')] }
      : { id: 'config.identity-required', title: titles.identity, status: 'not-satisfied', reason: 'identity.required is not true: calls without a verified identity are accepted.', evidence: [ref(file, 'identity.required', config.identity?.required, 'not required')] },
  );
  const store = config.killSwitch?.store;
  out.push({
    id: 'config.kill-switch',
    title: titles.kill,
    status: 'not-satisfied',
    reason: store
      ? `killSwitch.store is ${store}, but this version of Warden cannot probe a kill-switch store, so there is no evidence it is reachable.`
      : 'No evidence: no kill switch is configured (killSwitch.store).',
    evidence: store ? [ref(file, 'killSwitch.store', store, 'not probed')] : [],
  });
  return out;
}
