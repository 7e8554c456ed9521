/** `warden demo --scene runtime`: the scene the "done means" describes, step by step. */
import { describe, expect, inject, it } from 'vitest';
import { runRuntimeDemo } from '../../src/cli/demo-runtime.js';
import { runCli } from '../helpers/cli.js';

describe('runtime demo scene', () => {
  it('shows trust falling after violations, the ring dropping, the ring-1 tool denied, and a kill stopping a long call mid-way', async () => {
    const lines: string[] = [];
    expect(await runRuntimeDemo((l) => lines.push(l))).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/trust 920 \(trusted\), ring 1\.\n {2}deploy checkout: ALLOW/);
    expect(text).toMatch(/Now: trust 7\d\d \(established\), ring 2\.\n {2}deploy checkout: DENY {3}deploy is a ring-1 tool/);
    expect(text).toMatch(/crawl: ERR_KILLED .*operator stop during incident review/);
    const pages = Number(/stopped after (\d+) of 1000 pages/.exec(text)?.[1]);
    expect(pages).toBeGreaterThan(0);
    expect(pages).toBeLessThan(1000);
    expect(text).toMatch(/read_logs checkout: DENY {3}Killed by the kill switch/);
    expect(text).toContain('outcomes: ok, ok, aborted');
  });

  it('runs from the command line and refuses an unknown scene', async () => {
    const cli = inject('wardenCli');
    const run = await runCli(cli, ['demo', '--scene', 'runtime']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('The crawl stopped after');
    const bad = await runCli(cli, ['demo', '--scene', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown demo scene');
  });
});
