/**
 * GatewayTasks: the ids a client holds for its tasks. A session reaches only its own tasks, by the
 * gateway's id, and the memory is bounded.
 */
import { describe, expect, it } from 'vitest';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Verdict } from '../../../src/enforce/verdict.js';
import { GatewayTasks, clientTask } from '../../../src/integrations/mcp/tasks.js';

type Session = { name: string };
type Upstream = { name: string };
const alice: Session = { name: 'alice' };
const bob: Session = { name: 'bob' };
const alpha: Upstream = { name: 'alpha' };
const beta: Upstream = { name: 'beta' };
const verdict = { call: 'mcp-1' } as Verdict;

function made(tasks: GatewayTasks<Session, Upstream>, session: Session, upstream: Upstream, upstreamId: string) {
  return tasks.add({ upstreamId, session, upstream, tool: 'build', clientName: `${upstream.name}__build`, verdict, agent: null, started: 0 });
}

describe('GatewayTasks', () => {
  const tasks = new GatewayTasks<Session, Upstream>();
  const mine = made(tasks, alice, alpha, 'up-1');
  const theirs = made(tasks, bob, beta, 'up-1');

  // [what the client sends as taskId, who sends it, the task it reaches or null for "unknown task"]
  const rows: Array<[string, unknown, Session, string | null]> = [
    ['its own task', mine.id, alice, mine.id],
    ['its own task, the other session', theirs.id, bob, theirs.id],
    ['another session\u2019s task', theirs.id, alice, null],
    ['its task, sent by another session', mine.id, bob, null],
    ['the server\u2019s own id', 'up-1', alice, null],
    ['a server-prefixed id', 'alpha__up-1', alice, null],
    ['its id in upper case', mine.id.toUpperCase(), alice, null],
    ['its id with a trailing space', `${mine.id} `, alice, null],
    ['an empty id', '', alice, null],
    ['a number', 1, alice, null],
    ['null', null, alice, null],
    ['an object with the id', { toString: () => mine.id }, alice, null],
  ];

  it.each(rows)('%s', (_what, id, session, reaches) => {
    if (reaches !== null) {
      expect(tasks.of(session, id).id).toBe(reaches);
      return;
    }
    expect(() => tasks.of(session, id)).toThrow(McpError);
    expect(() => tasks.of(session, id)).toThrow(expect.objectContaining({ code: -32602 }));
  });

  it('finds a server\u2019s status notification\u2019s task by that server and its id only', () => {
    expect(tasks.byUpstream(alpha, 'up-1')?.id).toBe(mine.id);
    expect(tasks.byUpstream(beta, 'up-1')?.id).toBe(theirs.id);
    expect(tasks.byUpstream(alpha, 'up-2')).toBeUndefined();
    expect(tasks.byUpstream(alpha, 1)).toBeUndefined();
  });

  it('makes ids of 128 random bits, never the server\u2019s', () => {
    expect(mine.id).toMatch(/^warden-task-[0-9a-f]{32}$/);
    expect(mine.id).not.toBe(theirs.id);
    expect(clientTask({ taskId: 'up-1', status: 'working', ttl: null, createdAt: 'x', lastUpdatedAt: 'x' }, mine.id).taskId).toBe(mine.id);
  });

  it('forgets a closed session\u2019s tasks and keeps the others', () => {
    const own = new GatewayTasks<Session, Upstream>();
    const a = made(own, alice, alpha, 'a');
    const b = made(own, bob, alpha, 'b');
    own.closeSession(alice);
    expect(() => own.of(alice, a.id)).toThrow(McpError);
    expect(own.byUpstream(alpha, 'a')).toBeUndefined();
    expect(own.of(bob, b.id).id).toBe(b.id);
    expect(own.ofSession(bob).map((t) => t.id)).toEqual([b.id]);
  });

  it('holds at most its bound, forgetting the oldest first', () => {
    const bounded = new GatewayTasks<Session, Upstream>(3);
    const ids = ['1', '2', '3', '4', '5'].map((n) => made(bounded, alice, alpha, n).id);
    expect(bounded.size).toBe(3);
    expect(bounded.ofSession(alice).map((t) => t.id)).toEqual(ids.slice(2));
    expect(bounded.byUpstream(alpha, '1')).toBeUndefined();
  });
});
