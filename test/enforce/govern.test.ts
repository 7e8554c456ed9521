import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { Governor } from '../../src/enforce/governor.js';
import { govern } from '../../src/enforce/govern.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import type { DecisionEvent, DecisionSink } from '../../src/decision.js';
import { WardenError } from '../../src/errors.js';
import { compilePolicy } from '../../src/policy/compile.js';

const POLICY_FILE = new URL('../fixtures/enforce/policy.yaml', import.meta.url);
const policy = compilePolicy([{ name: 'policy.yaml', text: readFileSync(POLICY_FILE, 'utf8') }]);

function setup(extra: Partial<ConstructorParameters<typeof Governor>[0]> = {}): { g: Governor; sink: MemorySink } {
  const sink = new MemorySink();
  return { g: new Governor({ policy, agent: { id: 'bot-1' }, sink, ...extra }), sink };
}

/** Calls fn and returns what it threw (or fails the test). */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

type Kind = 'sync' | 'async' | 'generator' | 'async-generator';

/** A function of each kind that counts every time its body starts. */
function counted(kind: Kind, counter: { n: number }): (a: { path: string }) => unknown {
  switch (kind) {
    case 'sync':
      return (a) => {
        counter.n++;
        return `wrote ${a.path}`;
      };
    case 'async':
      return async (a) => {
        counter.n++;
        return `wrote ${a.path}`;
      };
    case 'generator':
      return function* (a) {
        counter.n++;
        yield `wrote ${a.path}`;
      };
    case 'async-generator':
      return async function* (a) {
        counter.n++;
        yield `wrote ${a.path}`;
      };
  }
}

/** Runs a governed function of any kind to completion and returns its outputs. */
async function drive(kind: Kind, fn: (a: { path: string }) => unknown, a: { path: string }): Promise<unknown[]> {
  const r = fn(a);
  if (kind === 'sync') return [r];
  if (kind === 'async') return [await r];
  const out: unknown[] = [];
  if (kind === 'generator') for (const x of r as Generator<unknown>) out.push(x);
  else for await (const x of r as AsyncGenerator<unknown>) out.push(x);
  return out;
}

const KINDS: Kind[] = ['sync', 'async', 'generator', 'async-generator'];

describe('govern(): every kind of function is checked before any work starts', () => {
  it.each(KINDS)('a denied %s call never runs and throws GovernanceDenied carrying the decision', async (kind) => {
    const { g, sink } = setup();
    const counter = { n: 0 };
    const fn = govern(counted(kind, counter), { tool: 'write_file', governor: g });
    const e = await thrown(() => drive(kind, fn, { path: '/etc/passwd' }));
    expect(counter.n).toBe(0);
    expect(e).toBeInstanceOf(GovernanceDenied);
    expect(e).toBeInstanceOf(WardenError);
    const d = e as GovernanceDenied;
    expect(d.code).toBe('ERR_GOVERNANCE_DENIED');
    expect(d.tool).toBe('write_file');
    expect(d.decision.rule).toBe('no-etc-writes');
    expect(d.decision.effect).toBe('deny');
    expect(d.decision.allowed).toBe(false);
    expect(d.message).toBe('Warden denied "write_file": No writes under /etc');
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]?.outcome?.executed).toBe(false);
  });

  it.each(KINDS)('an allowed %s call runs once and returns its result', async (kind) => {
    const { g, sink } = setup();
    const counter = { n: 0 };
    const fn = govern(counted(kind, counter), { tool: 'write_file', governor: g });
    expect(await drive(kind, fn, { path: '/tmp/a' })).toEqual(['wrote /tmp/a']);
    expect(counter.n).toBe(1);
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]?.outcome?.executed).toBe(true);
  });

  it.each(['generator', 'async-generator'] as const)('a denied %s: creating it runs nothing and the denial surfaces on the first next()', async (kind) => {
    const { g } = setup();
    const counter = { n: 0 };
    const fn = govern(counted(kind, counter), { tool: 'write_file', governor: g });
    let gen: Generator<unknown> | AsyncGenerator<unknown> | undefined;
    expect(() => {
      gen = fn({ path: '/etc/passwd' }) as Generator<unknown> | AsyncGenerator<unknown>;
    }).not.toThrow();
    expect(counter.n).toBe(0);
    const e = await thrown(() => (gen as Generator<unknown> | AsyncGenerator<unknown>).next());
    expect(e).toBeInstanceOf(GovernanceDenied);
    expect((e as GovernanceDenied).decision.rule).toBe('no-etc-writes');
    expect(counter.n).toBe(0);
  });

  it.each(['generator', 'async-generator'] as const)('a %s whose args change between creation and first next() does not run', async (kind) => {
    const { g } = setup();
    const counter = { n: 0 };
    const fn = govern(counted(kind, counter), { tool: 'write_file', governor: g });
    const args = { path: '/tmp/ok' };
    const gen = fn(args) as Generator<unknown> | AsyncGenerator<unknown>;
    args.path = '/etc/passwd';
    const e = await thrown(() => gen.next());
    expect(e).toBeInstanceOf(GovernanceDenied);
    expect(counter.n).toBe(0);
  });

  it('an async-generator streams every item after one check', async () => {
    const { g, sink } = setup();
    const fn = govern(
      async function* (a: { query: string }) {
        yield `${a.query}-1`;
        yield `${a.query}-2`;
        return 'done';
      },
      { tool: 'search_docs', governor: g },
    );
    const it = fn({ query: 'q' });
    expect(await it.next()).toEqual({ value: 'q-1', done: false });
    expect(await it.next()).toEqual({ value: 'q-2', done: false });
    expect(await it.next()).toEqual({ value: 'done', done: true });
    expect(sink.events).toHaveLength(1);
  });

  it('keeps the name and length of the wrapped function', () => {
    const { g } = setup();
    function writeFile(_a: unknown, _b: unknown): void {
      return undefined;
    }
    const fn = govern(writeFile, { tool: 'write_file', governor: g });
    expect(fn.name).toBe('writeFile');
    expect(fn.length).toBe(2);
  });

  it('refuses a non-function and an empty tool name', () => {
    const { g } = setup();
    expect(() => govern(42 as unknown as () => void, { tool: 'x', governor: g })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    expect(() => govern(() => undefined, { tool: '', governor: g })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });

  it('a denial from a default-deny tool names no rule', async () => {
    const { g } = setup();
    const counter = { n: 0 };
    const fn = govern(counted('async', counter), { tool: 'transfer_funds', governor: g });
    const e = (await thrown(() => fn({ path: '/x' }))) as GovernanceDenied;
    expect(e.decision.rule).toBeNull();
    expect(e.decision.effect).toBe('deny');
    expect(counter.n).toBe(0);
  });
});

describe('govern(): this is preserved', () => {
  it('a governed method called on its object sees that object as this', async () => {
    const { g } = setup();
    const store = {
      root: '/tmp',
      write: undefined as unknown as (a: { path: string }) => Promise<string>,
    };
    store.write = govern(
      async function (this: { root: string }, a: { path: string }) {
        return `${this.root}${a.path}`;
      },
      { tool: 'write_file', governor: g },
    );
    expect(await store.write({ path: '/a' })).toBe('/tmp/a');
  });

  it('a sync governed method sees its this', () => {
    const { g } = setup();
    const obj = { prefix: 'r:', read: undefined as unknown as (a: { path: string }) => string };
    obj.read = govern(
      function (this: { prefix: string }, a: { path: string }) {
        return this.prefix + a.path;
      },
      { tool: 'read_file', governor: g },
    );
    expect(obj.read({ path: 'x' })).toBe('r:x');
  });
});

describe('Governor.wrap() and wrapAll()', () => {
  it('wrap(name, fn) governs under that tool name', async () => {
    const { g } = setup();
    const counter = { n: 0 };
    const w = g.wrap('write_file', counted('async', counter) as (a: { path: string }) => Promise<string>);
    await expect(w({ path: '/etc/x' })).rejects.toBeInstanceOf(GovernanceDenied);
    expect(await w({ path: '/tmp/x' })).toBe('wrote /tmp/x');
    expect(counter.n).toBe(1);
  });

  it('wrapAll on a plain object governs each function under its key and leaves non-functions out', async () => {
    const { g, sink } = setup();
    const counter = { n: 0 };
    const tools = g.wrapAll({
      read_file: async (a: { path: string }) => {
        counter.n++;
        return `read ${a.path}`;
      },
      write_file: (a: { path: string }) => {
        counter.n++;
        return `wrote ${a.path}`;
      },
      secret: 'sk-live-123',
      limits: { max: 3 },
    });
    expect(Object.keys(tools).sort()).toEqual(['read_file', 'write_file']);
    expect((tools as Record<string, unknown>).secret).toBeUndefined();
    expect((tools as Record<string, unknown>).limits).toBeUndefined();
    expect(await tools.read_file({ path: '/a' })).toBe('read /a');
    expect(() => tools.write_file({ path: '/etc/a' })).toThrow(GovernanceDenied);
    expect(counter.n).toBe(1);
    expect(sink.events.map((e) => e.request.tool)).toEqual(['read_file', 'write_file']);
  });

  it('wrapAll on a class instance governs prototype methods, bound to the instance', async () => {
    const { g, sink } = setup();
    class Files {
      calls = 0;
      readonly root = '/srv';
      async read_file(a: { path: string }): Promise<string> {
        this.calls++;
        return `${this.root}${a.path}`;
      }
      write_file(a: { path: string }): string {
        this.calls++;
        return `${this.root}${a.path}`;
      }
    }
    const files = new Files();
    const tools = g.wrapAll(files);
    expect(Object.keys(tools).sort()).toEqual(['read_file', 'write_file']);
    expect((tools as Record<string, unknown>).calls).toBeUndefined();
    expect((tools as Record<string, unknown>).root).toBeUndefined();
    expect((tools as Record<string, unknown>).constructor).toBeUndefined();
    const { read_file } = tools;
    expect(await read_file({ path: '/a' })).toBe('/srv/a');
    expect(tools.write_file({ path: '/b' })).toBe('/srv/b');
    expect(() => tools.write_file({ path: '/etc/b' })).toThrow(GovernanceDenied);
    expect(files.calls).toBe(2);
    expect(sink.events.map((e) => [e.request.tool, e.outcome?.executed])).toEqual([
      ['read_file', true],
      ['write_file', true],
      ['write_file', false],
    ]);
  });

  it('wrapAll governs inherited methods of a subclass too', async () => {
    const { g } = setup();
    class Base {
      n = 0;
      write_file(): string {
        this.n++;
        return 'base';
      }
    }
    class Child extends Base {
      async read_file(): Promise<string> {
        return 'child';
      }
    }
    const c = new Child();
    const tools = g.wrapAll(c) as unknown as Record<string, (a: Record<string, unknown>) => unknown>;
    expect(Object.keys(tools).sort()).toEqual(['read_file', 'write_file']);
    expect(() => tools.write_file?.({ path: '/etc/x' })).toThrow(GovernanceDenied);
    expect(c.n).toBe(0);
  });

  it('wrapAll refuses a non-object', () => {
    const { g } = setup();
    expect(() => g.wrapAll(null as unknown as object)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });
});

describe('arguments changed after the decision do not run', () => {
  it('an async sink cannot change what runs: its event is frozen, so trying fails the record and the call is denied', async () => {
    const seen: string[] = [];
    const sink: DecisionSink = {
      async write(e: DecisionEvent) {
        (e.request.args as Record<string, unknown>).path = '/etc/passwd';
      },
    };
    const g = new Governor({ policy, sink });
    const fn = govern(async (a: { path: string }) => seen.push(a.path), { tool: 'write_file', governor: g });
    const args = { path: '/tmp/ok' };
    const e = await thrown(() => fn(args));
    expect(e).toBeInstanceOf(GovernanceDenied);
    expect((e as GovernanceDenied).decision.errors.map((x) => x.code)).toContain('audit_failure');
    expect(seen).toEqual([]);
    expect(args.path).toBe('/tmp/ok');
  });

  it('an async sink that swallows its failed mutation: the call runs with the decided args, the caller object untouched', async () => {
    const seen: string[] = [];
    const sink: DecisionSink = {
      async write(e: DecisionEvent) {
        try {
          (e.request.args as Record<string, unknown>).path = '/etc/passwd';
        } catch {
          // frozen
        }
      },
    };
    const g = new Governor({ policy, sink });
    const fn = govern(async (a: { path: string }) => seen.push(a.path), { tool: 'write_file', governor: g });
    const args = { path: '/tmp/ok' };
    await fn(args);
    expect(seen).toEqual(['/tmp/ok']);
    expect(args.path).toBe('/tmp/ok');
  });

  it('a concurrent microtask that mutates the args while the check is pending: the call does not run', async () => {
    const counter = { n: 0 };
    const { g } = setup();
    const fn = govern(counted('async', counter), { tool: 'write_file', governor: g });
    const args = { path: '/tmp/ok' };
    const p = fn(args);
    queueMicrotask(() => {
      args.path = '/etc/passwd';
    });
    const e = await thrown(() => p);
    expect(e).toBeInstanceOf(GovernanceDenied);
    expect((e as GovernanceDenied).decision.allowed).toBe(false);
    expect(counter.n).toBe(0);
  });

  it('a nested value mutated while the check is pending: the call does not run', async () => {
    let ran = 0;
    const { g } = setup();
    const fn = govern(
      async (a: { path: string; opts: { mode: string } }) => {
        ran++;
        return a.opts.mode;
      },
      { tool: 'write_file', governor: g },
    );
    const args = { path: '/tmp/ok', opts: { mode: 'r' } };
    const p = fn(args);
    args.opts.mode = 'w';
    await expect(p).rejects.toBeInstanceOf(GovernanceDenied);
    expect(ran).toBe(0);
  });

  it('positional arguments mutated while the check is pending: the call does not run', async () => {
    let ran = 0;
    const { g } = setup();
    const fn = govern(
      async (path: string, opts: { mode: string }) => {
        ran++;
        return `${path}:${opts.mode}`;
      },
      { tool: 'write_file', governor: g, toArgs: (path, opts) => ({ path, opts }) },
    );
    const opts = { mode: 'r' };
    const p = fn('/tmp/x', opts);
    opts.mode = 'w';
    await expect(p).rejects.toBeInstanceOf(GovernanceDenied);
    expect(ran).toBe(0);
  });

  it('a custom toArgs that copies: the parameter object mutated while the check is pending does not run', async () => {
    let ran: string[] = [];
    const { g } = setup();
    const fn = govern(
      async (a: { path: string }) => {
        ran = [...ran, a.path];
        return a.path;
      },
      { tool: 'write_file', governor: g, toArgs: (a) => ({ path: (a as { path: string }).path }) },
    );
    const args = { path: '/tmp/ok' };
    const p = fn(args);
    args.path = '/etc/passwd';
    await expect(p).rejects.toBeInstanceOf(GovernanceDenied);
    expect(ran).toEqual([]);
  });

  it('an approval handler that mutates the caller args after answering true: the call does not run', async () => {
    let ran = 0;
    const args = { amount: 5 };
    const g = new Governor({
      policy,
      sink: new MemorySink(),
      approvalHandler: () => {
        queueMicrotask(() => {
          args.amount = 9_999_999;
        });
        return true;
      },
    });
    const pay = govern(
      async (a: { amount: number }) => {
        ran++;
        return a.amount;
      },
      { tool: 'pay', governor: g },
    );
    await expect(pay(args)).rejects.toBeInstanceOf(GovernanceDenied);
    expect(ran).toBe(0);
  });
});

describe('arguments whose values change between reads (getters, Proxies)', () => {
  /** Args whose `path` reads '/tmp/ok' for the first `honest` reads, then '/etc/passwd'. */
  function shifty(kind: 'getter' | 'proxy', honest: number): { path: string } {
    let reads = 0;
    const next = (): string => (reads++ < honest ? '/tmp/ok' : '/etc/passwd');
    if (kind === 'getter') {
      return {
        get path() {
          return next();
        },
      };
    }
    return new Proxy({ path: '/tmp/ok' }, { get: (t, k, r) => (k === 'path' ? next() : (Reflect.get(t, k, r) as unknown)) });
  }

  const sinks: Array<[string, () => DecisionSink]> = [
    ['a MemorySink', () => new MemorySink()],
    ['a sink that does not copy', () => ({ write: async () => undefined, writeSync: () => undefined })],
  ];
  const cases = (['getter', 'proxy'] as const).flatMap((args) =>
    [1, 2, 3, 4].flatMap((honest) => (['sync', 'async'] as const).flatMap((kind) => sinks.map(([sinkName, sink]) => ({ args, honest, kind, sinkName, sink })))),
  );

  it.each(cases)('$kind function, $args args honest for $honest reads, $sinkName: never runs with a value the decision did not cover', async ({ args, honest, kind, sink }) => {
    const seen: string[] = [];
    const g = new Governor({ policy, sink: sink() });
    const body = (a: { path: string }): string => {
      seen.push(a.path);
      return a.path;
    };
    const fn = govern(
      kind === 'sync' ? body : async (a: { path: string }) => body(a),
      { tool: 'write_file', governor: g },
    );
    try {
      await fn(shifty(args, honest));
    } catch (e) {
      expect(e).toBeInstanceOf(GovernanceDenied);
    }
    expect(seen.filter((p) => p.startsWith('/etc/'))).toEqual([]);
  });
});

describe('a sink that mutates the args in writeSync', () => {
  it('a sync governed function runs only with the decided args, and the caller object is untouched', () => {
    const seen: string[] = [];
    const sink: DecisionSink = {
      write: async () => undefined,
      writeSync: (e: DecisionEvent) => {
        try {
          (e.request.args as Record<string, unknown>).path = '/etc/passwd';
        } catch {
          // the event is frozen
        }
      },
    };
    const g = new Governor({ policy, sink });
    const fn = govern(
      (a: { path: string }) => {
        seen.push(a.path);
      },
      { tool: 'write_file', governor: g },
    );
    const args = { path: '/tmp/ok' };
    fn(args);
    expect(seen).toEqual(['/tmp/ok']);
    expect(args.path).toBe('/tmp/ok');
  });
});

describe('approvals through governed functions', () => {
  it('a sync function under require_approval with an async handler is denied with a clear reason', () => {
    let ran = 0;
    const { g } = setup({ approvalHandler: async () => true });
    const pay = govern(
      (a: { amount: number }) => {
        ran++;
        return a.amount;
      },
      { tool: 'pay', governor: g },
    );
    let e: unknown;
    try {
      pay({ amount: 5 });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(GovernanceDenied);
    expect((e as GovernanceDenied).decision.reason).toContain('answered asynchronously');
    expect((e as GovernanceDenied).decision.reason).toContain('govern an async function');
    expect(ran).toBe(0);
  });

  it('a sync handler returning true approves a sync function', () => {
    let ran = 0;
    const { g, sink } = setup({ approvalHandler: () => true });
    const pay = govern(
      (a: { amount: number }) => {
        ran++;
        return a.amount * 2;
      },
      { tool: 'pay', governor: g },
    );
    expect(pay({ amount: 5 })).toBe(10);
    expect(ran).toBe(1);
    expect(sink.events[0]?.outcome?.approval?.approved).toBe(true);
  });

  it("a sync handler returning 'true' denies a sync function", () => {
    let ran = 0;
    const { g } = setup({ approvalHandler: () => 'true' });
    const pay = govern(
      (_a: { amount: number }) => {
        ran++;
      },
      { tool: 'pay', governor: g },
    );
    expect(() => pay({ amount: 5 })).toThrow(GovernanceDenied);
    expect(ran).toBe(0);
  });

  it('an async handler resolving true approves an async function', async () => {
    const { g } = setup({ approvalHandler: async () => true });
    const pay = govern(async (a: { amount: number }) => a.amount, { tool: 'pay', governor: g });
    expect(await pay({ amount: 7 })).toBe(7);
  });

  it("approved: true in a governed call's args does not approve", async () => {
    let ran = 0;
    const { g } = setup();
    const pay = govern(
      async (_a: Record<string, unknown>) => {
        ran++;
      },
      { tool: 'pay', governor: g },
    );
    await expect(pay({ amount: 5, approved: true })).rejects.toBeInstanceOf(GovernanceDenied);
    expect(ran).toBe(0);
  });
});

describe('args mapping', () => {
  function capture(): { g: Governor; sink: MemorySink } {
    return setup();
  }

  const defaults: Array<{ name: string; params: unknown[]; args: Record<string, unknown> }> = [
    { name: 'one plain object is args', params: [{ path: '/a', n: 1 }], args: { path: '/a', n: 1 } },
    { name: 'positional values are keyed by index', params: ['/a', 2], args: { '0': '/a', '1': 2 } },
    { name: 'a single string is keyed "0"', params: ['/a'], args: { '0': '/a' } },
    { name: 'an object plus another value is positional', params: [{ path: '/a' }, true], args: { '0': { path: '/a' }, '1': true } },
    { name: 'a single array is positional', params: [['a', 'b']], args: { '0': ['a', 'b'] } },
    { name: 'no parameters is empty args', params: [], args: {} },
  ];

  it.each(defaults)('default mapping: $name', ({ params, args }) => {
    const { g, sink } = capture();
    const fn = govern((..._p: unknown[]) => 'ok', { tool: 'read_file', governor: g });
    expect(fn(...params)).toBe('ok');
    expect(sink.events[0]?.request.args).toEqual(args);
  });

  it('default mapping: a class instance is positional, so its data is not read as args keys', () => {
    const { g, sink } = capture();
    class Opts {
      path = '/a';
    }
    const fn = govern((_o: Opts) => 'ok', { tool: 'write_file', governor: g });
    // The instance is not plain JSON data, so the request is invalid and denied.
    expect(() => fn(new Opts())).toThrow(GovernanceDenied);
    expect(sink.events).toHaveLength(1);
  });

  it('a custom toArgs shapes the args rules see', async () => {
    const { g, sink } = capture();
    const write = govern(async (path: string, body: string) => `${path}:${body.length}`, {
      tool: 'write_file',
      governor: g,
      toArgs: (path, body) => ({ path, size: (body as string).length }),
    });
    expect(await write('/tmp/a', 'hello')).toBe('/tmp/a:5');
    await expect(write('/etc/a', 'x')).rejects.toBeInstanceOf(GovernanceDenied);
    expect(sink.events.map((e) => e.request.args)).toEqual([
      { path: '/tmp/a', size: 5 },
      { path: '/etc/a', size: 1 },
    ]);
  });

  it('govern context is merged over the governor context', async () => {
    const { g, sink } = setup({ context: { environment: 'prod', region: 'eu' } });
    const deploy = govern(async () => 'deployed', { tool: 'deploy', governor: g, context: { environment: 'staging' } });
    expect(await deploy()).toBe('deployed');
    expect(sink.events[0]?.request.context).toEqual({ environment: 'staging', region: 'eu' });
  });

  it('the recorded agent is the governor identity for governed calls, whatever the args say', async () => {
    const { g, sink } = setup();
    const op = govern(async (_a: Record<string, unknown>) => 'done', { tool: 'admin_op', governor: g });
    await expect(op({ agent_id: 'admin', agent: { id: 'admin' } })).rejects.toBeInstanceOf(GovernanceDenied);
    expect(sink.events[0]?.agent).toEqual({ id: 'bot-1' });
  });
});
