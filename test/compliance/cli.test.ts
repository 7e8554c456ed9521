/**
 * `warden compliance report` as a user runs it: formats, exit codes, files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { deployment } from './fixtures.js';

const main = inject('wardenCli');
const d = await deployment();
const base = ['compliance', 'report', '--policy', d.policy, '--audit', d.audit, '--config', d.config, '--replay-report', d.replay, '--now', '2026-12-07T00:00:00Z'];

describe('warden compliance report', () => {
  it('prints Markdown and exits 1 while a checked control is not satisfied', async () => {
    const run = await runCli(main, base);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('# Warden compliance report');
    expect(run.stdout).toContain('| ASI02 | Tool Misuse and Exploitation | satisfied |');
  });

  it('exits 0 for a framework whose checked controls are all satisfied', async () => {
    const run = await runCli(main, [...base, '--framework', 'hipaa']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('writes OSCAL to a file', async () => {
    const out = join(d.dir, 'report.oscal.json');
    const run = await runCli(main, [...base, '--format', 'oscal', '--out', out]);
    expect(run.code).toBe(1);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { 'assessment-results': { metadata: { 'oscal-version': string } } };
    expect(doc['assessment-results'].metadata['oscal-version']).toBe('1.1.2');
  });

  it('refuses an unknown format or framework with exit 2', async () => {
    expect((await runCli(main, [...base, '--format', 'pdf'])).code).toBe(2);
    expect((await runCli(main, [...base, '--framework', 'iso27001'])).code).toBe(2);
  });
});
