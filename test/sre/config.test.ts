/**
 * What SRE configuration accepts and refuses, as data tables (about a third of each benign): tool
 * and agent selectors (empty lists match nothing and are refused; prototype names are ordinary
 * names), objectives, durations, breaker and fault members, and the documents that carry them.
 */
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { defineBreaker } from '../../src/sre/breaker.js';
import { parseSreDocuments } from '../../src/sre/documents.js';
import { parseDuration } from '../../src/sre/duration.js';
import { createSre } from '../../src/sre/runtime.js';
import { Selector } from '../../src/sre/selector.js';
import { defineSlo, type SloSpec } from '../../src/sre/slo.js';

describe('selectors', () => {
  const cases: [string, { tools: unknown; agents?: unknown }, string, string | null, boolean][] = [
    ['a glob covers its tools', { tools: ['search_*'] }, 'search_docs', null, true],
    ['an exact name covers itself', { tools: ['refund'] }, 'refund', 'bot', true],
    ['agents absent: any agent, and none', { tools: ['t'] }, 't', null, true],
    ['an agent glob covers its agents', { tools: ['t'], agents: ['team-*'] }, 't', 'team-red', true],
    ['a glob is anchored at the start', { tools: ['search_*'] }, 'research_docs', null, false],
    ['a glob is anchored at the end', { tools: ['search'] }, 'search_docs', null, false],
    ['`*` does not cross a slash', { tools: ['search_*'] }, 'search_a/../admin', null, false],
    ['names are case-sensitive, as in policies', { tools: ['search_*'] }, 'SEARCH_docs', null, false],
    ['a trailing newline is not the same name', { tools: ['refund'] }, 'refund\n', null, false],
    ['a confusable is not the same name', { tools: ['refund'] }, 'rеfund', null, false],
    ['an agent glob never matches a call without an identity', { tools: ['t'], agents: ['*'] }, 't', null, false],
    ['an agent glob is anchored', { tools: ['t'], agents: ['team-*'] }, 't', 'xteam-red', false],
    ['__proto__ is an ordinary tool name', { tools: ['__proto__'] }, '__proto__', null, true],
    ['constructor is not covered by a glob for other names', { tools: ['search_*'] }, 'constructor', null, false],
  ];
  it.each(cases)('%s', (_name, spec, tool, agent, want) => {
    expect(new Selector(spec, 'test').matches(tool, agent)).toBe(want);
  });

  it.each([
    ['an empty tool list', { tools: [] }, /is empty, so it would match nothing/],
    ['an empty agent list', { tools: ['t'], agents: [] }, /agents is empty, so it would match nothing/],
    ['no tools', {}, /tools is required/],
    ['a string instead of a list', { tools: 'search' }, /must be a list/],
    ['an empty name', { tools: [''] }, /must be a list of non-empty names/],
    ['a non-string name', { tools: [42] }, /must be a list of non-empty names/],
    ['a malformed glob', { tools: ['search_['] }, /glob/i],
  ])('refuses %s', (_name, spec, message) => {
    expect(() => new Selector(spec as { tools: unknown }, 'test')).toThrow(message);
  });

  it('keeps a breaker per prototype-named tool, apart from every other', () => {
    const sre = createSre({ breakers: [{ name: 'all', tools: ['*'], failureThreshold: 1 }], now: () => 0 });
    for (const tool of ['__proto__', 'constructor', 'toString']) sre.observed({ ts: '', call: tool, tool, agent: null, outcome: { status: tool === 'constructor' ? 'error' : 'ok' } });
    expect(Object.fromEntries(sre.breakerStates())).toEqual({ ['__proto__']: 'closed', constructor: 'open', toString: 'closed' });
  });
});

describe('SLO objectives and windows', () => {
  const base: SloSpec = { name: 'slo', tools: ['t'], objective: 0.99 };
  it.each([
    ['0.99', { objective: 0.99 }, null],
    ['0.5', { objective: 0.5 }, null],
    ['0.999999', { objective: 0.999999 }, null],
    ['a 7-day window', { window: '7d' }, null],
    ['a latency SLI', { sli: { latency: '5s' } }, null],
    ['1 (no budget at all)', { objective: 1 }, /strictly between 0 and 1/],
    ['0', { objective: 0 }, /strictly between 0 and 1/],
    ['99, meant as a percentage', { objective: 99 }, /\(99% is 0.99\)/],
    ['NaN', { objective: Number.NaN }, /strictly between 0 and 1/],
    ['Infinity', { objective: Number.POSITIVE_INFINITY }, /strictly between 0 and 1/],
    ['a string', { objective: '0.99' }, /strictly between 0 and 1/],
    ['negative', { objective: -0.5 }, /strictly between 0 and 1/],
    ['a window under an hour', { window: '30m' }, /at least 1h/],
    ['an unknown SLI', { sli: 'availability' }, /sli must be "success" or \{ latency/],
    ['an SLI with an unknown member', { sli: { latency: '5s', p: 99 } }, /Unknown key "p"/],
    ['a misspelt member', { minimumcalls: 5 }, /Did you mean "minimumCalls"/],
    ['a name that is not an identifier', { name: 'a b' }, /needs a name/],
    ['minimumCalls 0', { minimumCalls: 0 }, /minimumCalls must be a whole number of at least 1/],
  ])('%s', (_name, patch, error) => {
    const spec = { ...base, ...patch } as SloSpec;
    if (error === null) expect(defineSlo(spec).name).toBe(spec.name);
    else expect(() => defineSlo(spec)).toThrow(error);
  });
});

describe('durations', () => {
  it.each([
    ['30d', 2_592_000_000],
    ['500ms', 500],
    ['5m', 300_000],
    ['2w', 1_209_600_000],
    [1000, 1000],
  ])('reads %j', (text, ms) => {
    expect(parseDuration(text, 'd')).toBe(ms);
  });
  it.each(['0s', '-5m', '5 m', '5M', '1e3s', '1.5h', '', 'P30D', '30', 1.5, 0, -1, Number.MAX_SAFE_INTEGER + 2, '01m', null])('refuses %j', (text) => {
    expect(() => parseDuration(text, 'd')).toThrow(WardenError);
  });
});

describe('breakers', () => {
  it.each([
    ['the defaults', {}, null],
    ['a failure rate', { failureRate: 0.5, minimumCalls: 20, window: '1m' }, null],
    ['a shared scope', { scope: 'shared' }, null],
    ['a failure rate of 0', { failureRate: 0 }, /failureRate must be a share above 0/],
    ['a failure rate above 1', { failureRate: 1.5 }, /failureRate must be a share above 0/],
    ['a NaN failure rate', { failureRate: Number.NaN }, /failureRate must be a share above 0/],
    ['a threshold of 0', { failureThreshold: 0 }, /failureThreshold must be a whole number/],
    ['a fractional threshold', { failureThreshold: 2.5 }, /failureThreshold must be a whole number/],
    ['a threshold as text', { failureThreshold: '5' }, /failureThreshold must be a whole number/],
    ['too many probes', { probes: 1e7 }, /probes must be a whole number from 1 to 1000000/],
    ['an unknown scope', { scope: 'global' }, /scope must be "tool" or "shared"/],
    ['a misspelt member', { cooldown: '5s' }, /Did you mean "coolDown"/],
  ])('%s', (_name, patch, error) => {
    const spec = { name: 'b', tools: ['t'], ...patch } as Parameters<typeof defineBreaker>[0];
    if (error === null) expect(defineBreaker(spec).name).toBe('b');
    else expect(() => defineBreaker(spec)).toThrow(error);
  });
});

describe('SRE documents', () => {
  const doc = (body: string): string => `apiVersion: warden/v1\n${body}`;
  it.each([
    ['an SLO', doc('kind: SLO\nname: s\ntools: [t]\nobjective: 0.99\n'), null],
    ['a breaker and an experiment', doc('kind: CircuitBreaker\nname: b\ntools: [t]\n---\n') + doc('kind: ChaosExperiment\nname: e\ntools: [t]\nfault: { latency: 1s }\nduration: 1m\n'), null],
    ['an empty document between two', doc('kind: SLO\nname: s\ntools: [t]\nobjective: 0.9\n') + '---\n---\n' + doc('kind: CircuitBreaker\nname: b\ntools: [t]\n'), null],
    ['JSON', '{"apiVersion":"warden/v1","kind":"SLO","name":"s","tools":["t"],"objective":0.9}', null],
    ['an unknown kind', doc('kind: Policy\nname: p\n'), /kind must be one of SLO, CircuitBreaker, ChaosExperiment; got "Policy"/],
    ['another apiVersion', 'apiVersion: warden/v2\nkind: SLO\n', /apiVersion must be "warden\/v1"/],
    ['no apiVersion', 'kind: SLO\nname: s\n', /apiVersion must be "warden\/v1"; got undefined/],
    ['a repeated key', doc('kind: SLO\nname: s\nname: t\ntools: [t]\nobjective: 0.9\n'), /sre\.yaml:4:1: .*[Mm]ap keys must be unique/],
    ['a list', '- apiVersion: warden/v1\n', /a document must be a mapping/],
    ['a YAML alias bomb', 'apiVersion: warden/v1\nkind: SLO\nname: s\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n', /no YAML aliases/],
    ['an invalid second document (nothing of the file is taken)', doc('kind: SLO\nname: s\ntools: [t]\nobjective: 0.9\n---\n') + doc('kind: SLO\nname: t\ntools: []\nobjective: 0.9\n'), /sre\.yaml:\d+:1: SLO "t": tools is empty/],
    ['a file over 1 MiB', `# ${'x'.repeat(1024 * 1024)}\n`, /larger than 1 MiB/],
  ])('%s', (_name, text, error) => {
    if (error === null) expect(() => parseSreDocuments(text, 'sre.yaml')).not.toThrow();
    else expect(() => parseSreDocuments(text, 'sre.yaml')).toThrow(error);
  });
});
