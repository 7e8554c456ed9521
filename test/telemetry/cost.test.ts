/**
 * The optional peers cost nothing when unused: Warden's root entry point and `agent-warden/sre`
 * load neither `@opentelemetry/api` nor `prom-client`; `agent-warden/telemetry` loads the API only,
 * `agent-warden/metrics` prom-client. Checked at run time on the build the test run made, by
 * recording every module Node resolves.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

function loadedBy(entry: string): string[] {
  const script = `
import { registerHooks } from 'node:module';
const seen = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
await import(${JSON.stringify(pathToFileURL(entry).href)});
process.stdout.write(JSON.stringify(seen));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the import failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

const packages = (urls: string[]): string[] => [...new Set(urls.flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? []))].filter((p) => p === '@opentelemetry/api' || p === 'prom-client').sort();

describe('telemetry peers are loaded only by the subpaths that use them', () => {
  const dist = dirname(dirname(inject('wardenCli')));
  it.each([
    ['agent-warden', join(dist, 'index.js'), []],
    ['agent-warden/sre', join(dist, 'sre', 'index.js'), []],
    ['agent-warden/telemetry', join(dist, 'telemetry', 'index.js'), ['@opentelemetry/api']],
    ['agent-warden/metrics', join(dist, 'telemetry', 'metrics-index.js'), ['@opentelemetry/api', 'prom-client']],
  ])('%s loads %j', (_name, entry, want) => {
    expect(packages(loadedBy(entry))).toEqual(want);
  });
});
