import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Running } from './fixture.js';

/** An evaluation of `name` on one document; `null` is an evaluation with no action name (invalid, so a denial). */
const ev = (name: string | null): Record<string, unknown> => ({ action: name === null ? {} : { name } });

describe('warden serve: AuthZEN evaluations semantics', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => s.close());

  const decisions = () => s.records().filter((r) => r.type === 'decision') as Array<{ call: string; request: { tool: string } }>;

  // [semantic (undefined: none given), actions in order (read is allowed, delete is not), decisions answered]
  const cases: Array<[string | undefined, Array<string | null>, boolean[]]> = [
    [undefined, ['read', 'delete', 'read'], [true, false, true]],
    ['execute_all', ['read', 'delete', 'read'], [true, false, true]],
    ['deny_on_first_deny', ['read', 'delete', 'read'], [true, false]],
    ['deny_on_first_deny', ['read', 'read'], [true, true]],
    ['deny_on_first_deny', ['delete', 'read', 'read'], [false]],
    ['deny_on_first_deny', [null, 'read'], [false]],
    ['deny_on_first_deny', [], []],
    ['permit_on_first_permit', ['delete', 'read', 'delete'], [false, true]],
    ['permit_on_first_permit', ['delete', 'delete'], [false, false]],
    ['permit_on_first_permit', [null, 'read', 'read'], [false, true]],
    ['permit_on_first_permit', ['read', 'delete'], [true]],
  ];

  it.each(cases)('%s over %j answers %j, and decides and records exactly the evaluations it answers, in order', async (semantic, actions, expected) => {
    const before = decisions().length;
    const r = await s.post('/access/v1/evaluations', {
      subject: { type: 'user', id: 'alice' },
      resource: { type: 'doc', id: 'd1' },
      evaluations: actions.map(ev),
      ...(semantic === undefined ? {} : { options: { evaluations_semantic: semantic } }),
    });
    expect(r.status).toBe(200);
    const answers = r.body.evaluations as Array<{ decision: boolean; context: { id: string } }>;
    expect(answers.map((a) => a.decision)).toEqual(expected);
    const made = decisions().slice(before);
    expect(made.map((d) => d.call).sort()).toEqual(answers.map((a) => a.context.id).sort());
    if (semantic !== undefined && semantic !== 'execute_all') expect(made.map((d) => d.call)).toEqual(answers.map((a) => a.context.id));
  });

  // [options, why it is refused, or null when it is accepted as execute_all]
  const options: Array<[unknown, string | null]> = [
    [{ evaluations_semantic: 'DENY_ON_FIRST_DENY' }, 'must be one of'],
    [{ evaluations_semantic: 'deny-on-first-deny' }, 'must be one of'],
    [{ evaluations_semantic: 'deny_on_first_deny ' }, 'must be one of'],
    [{ evaluations_semantic: 'first_deny' }, 'must be one of'],
    [{ evaluations_semantic: 1 }, 'must be one of'],
    [{ evaluations_semantic: null }, 'must be one of'],
    [{ evaluations_semantic: ['deny_on_first_deny'] }, 'must be one of'],
    ['deny_on_first_deny', 'options must be an object'],
    [[], 'options must be an object'],
    [null, 'options must be an object'],
    [{}, null],
    [{ another_option: 'value' }, null],
    [{ evaluations_semantic: 'execute_all', another_option: 1 }, null],
  ];

  it.each(options)('options %j: %s', async (given, refused) => {
    const before = decisions().length;
    const r = await s.post('/access/v1/evaluations', { subject: { type: 'user', id: 'alice' }, resource: { type: 'doc', id: 'd1' }, evaluations: [ev('delete'), ev('read')], options: given });
    if (refused === null) {
      expect(r.status).toBe(200);
      expect((r.body.evaluations as Array<{ decision: boolean }>).map((a) => a.decision)).toEqual([false, true]);
      return;
    }
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'invalid_request' } });
    expect((r.body.error as { message: string }).message).toContain(refused);
    expect(decisions().length).toBe(before);
  });

  it.each(['/access/v1/search/subject', '/access/v1/search/resource', '/access/v1/search/action'])('does not offer %s (404 not_found), and decides nothing', async (path) => {
    const before = decisions().length;
    const r = await s.post(path, { subject: { type: 'user', id: 'alice' }, action: { name: 'read' }, resource: { type: 'doc' } });
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ error: { code: 'not_found' } });
    expect(decisions().length).toBe(before);
  });
});
