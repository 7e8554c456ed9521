/**
 * SARIF 2.1.0 output of lint findings, for GitHub code scanning and other SARIF viewers.
 */
import { pathToFileURL } from 'node:url';
import { LINT_CHECKS, type LintFinding, type LintSeverity } from './lint-findings.js';

/** A SARIF 2.1.0 log with one run (the subset Warden writes). */
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: SarifRun[];
}

/** One SARIF run. */
export interface SarifRun {
  tool: { driver: { name: string; version: string; rules: SarifRule[] } };
  results: SarifResult[];
}

/** A SARIF reportingDescriptor: one finding code. */
export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  help: { text: string };
  defaultConfiguration: { level: SarifLevel };
}

/** A SARIF level. */
export type SarifLevel = 'error' | 'warning' | 'note';

/** One SARIF result. */
export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }>;
  relatedLocations?: Array<{ id: number; physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }>;
}

/** Options for {@link toSarif}. */
export interface SarifOptions {
  /** The Warden version, for `tool.driver.version`. */
  version: string;
  /** Maps a finding's file to the artifact URI; default: relative paths as they are, absolute ones as file:// URLs. */
  uriOf?: (file: string) => string;
}

/**
 * Converts findings to a SARIF 2.1.0 log (for GitHub code scanning and other SARIF viewers).
 *
 * @example
 * ```ts
 * const sarif = toSarif(lintPolicy(sources).findings, { version: VERSION });
 * fs.writeFileSync('warden.sarif', JSON.stringify(sarif));
 * ```
 */
export function toSarif(findings: readonly LintFinding[], options: SarifOptions): SarifLog {
  const uriOf = options.uriOf ?? defaultUri;
  const rules: SarifRule[] = [];
  const index = new Map<string, number>();
  const ruleIndex = (f: LintFinding): number => {
    const hit = index.get(f.code);
    if (hit !== undefined) return hit;
    const check = LINT_CHECKS[f.code];
    rules.push({
      id: f.code,
      name: f.code.split('_').map((w) => (w[0] ?? '').toUpperCase() + w.slice(1)).join(''),
      shortDescription: { text: check?.summary ?? (f.severity === 'error' ? `Policy load error: ${f.code}.` : `Policy finding: ${f.code}.`) },
      help: { text: `See docs/lint.md (${f.code}) in the Warden package.` },
      defaultConfiguration: { level: sarifLevel(check?.severity ?? f.severity) },
    });
    index.set(f.code, rules.length - 1);
    return rules.length - 1;
  };
  const location = (p: { file: string; line: number; col: number }): SarifResult['locations'][number] => ({
    physicalLocation: { artifactLocation: { uri: uriOf(p.file) }, region: { startLine: Math.max(1, p.line), startColumn: Math.max(1, p.col) } },
  });
  const results = findings.map((f): SarifResult => {
    const r: SarifResult = { ruleId: f.code, ruleIndex: ruleIndex(f), level: sarifLevel(f.severity), message: { text: f.message }, locations: [location(f)] };
    if (f.related && f.related.length > 0) r.relatedLocations = f.related.map((p, id) => ({ id, ...location(p) }));
    return r;
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'warden', version: options.version, rules } }, results }],
  };
}

function sarifLevel(s: LintSeverity): SarifLevel {
  return s === 'info' ? 'note' : s;
}

function defaultUri(file: string): string {
  if (file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file)) return pathToFileURL(file).href;
  return file.replace(/\\/g, '/').split('/').map(encodeURIComponent).join('/');
}
