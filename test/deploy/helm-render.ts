/**
 * A small renderer for the Helm chart in deploy/helm/warden, used where helm itself is not
 * installable (no helm package in the registries this machine has). It implements only what the
 * chart uses, with Go template's whitespace rules, and throws on anything else, so a template that
 * grows past it fails the test instead of rendering wrongly:
 *
 * - `{{ .Values.a.b }}`, `{{ .Release.Name }}`, `{{ .Chart.Name }}`, `{{ .Chart.AppVersion }}`;
 * - pipelines into `quote`, `nindent N`, `indent N`, `default <term>`; `toYaml <term>` as a call;
 * - `{{ if <term> }}` / `{{ else }}` / `{{ end }}` (nestable; truthiness as in Go templates);
 * - `{{-` and `-}}` trim the whitespace (newlines included) before and after an action.
 *
 * Every `.Values` path a template reads must exist in the values given (helm would render a
 * missing one as empty; here it is an error), and the paths read are reported.
 */
import { stringify } from 'yaml';

export interface RenderContext {
  Values: Record<string, unknown>;
  Release: { Name: string; Namespace: string };
  Chart: { Name: string; AppVersion: string; Version: string };
}

type Node = { kind: 'text'; text: string } | { kind: 'out'; expr: string } | { kind: 'if'; cond: string; then: Node[]; else: Node[] };

/** Splits a template into text and actions, applying the trim markers. */
function tokenize(src: string): Array<{ kind: 'text'; text: string } | { kind: 'action'; body: string }> {
  const out: Array<{ kind: 'text'; text: string } | { kind: 'action'; body: string }> = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open === -1 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open === -1) {
      out.push({ kind: 'text', text });
      break;
    }
    const close = src.indexOf('}}', open);
    if (close === -1) throw new Error(`unclosed action at offset ${open}`);
    let body = src.slice(open + 2, close);
    if (body.startsWith('-')) {
      text = text.replace(/\s+$/, '');
      body = body.slice(1);
    }
    trimNext = body.endsWith('-');
    if (trimNext) body = body.slice(0, -1);
    out.push({ kind: 'text', text });
    out.push({ kind: 'action', body: body.trim() });
    i = close + 2;
  }
  return out;
}

function parse(src: string): Node[] {
  const root: Node[] = [];
  const stack: Array<{ node: Extract<Node, { kind: 'if' }>; inElse: boolean }> = [];
  const target = (): Node[] => {
    const top = stack[stack.length - 1];
    return top === undefined ? root : top.inElse ? top.node.else : top.node.then;
  };
  for (const t of tokenize(src)) {
    if (t.kind === 'text') {
      if (t.text !== '') target().push({ kind: 'text', text: t.text });
      continue;
    }
    const b = t.body;
    if (b.startsWith('/*')) continue;
    const keyword = /^(range|with|define|template|block|include|tpl|required|else if)\b/.exec(b);
    if (keyword !== null) throw new Error(`the renderer does not know ${JSON.stringify(keyword[1])}; extend test/deploy/helm-render.ts or keep the chart simpler`);
    const m = /^if\s+(.+)$/.exec(b);
    if (m !== null) {
      const node: Extract<Node, { kind: 'if' }> = { kind: 'if', cond: m[1] as string, then: [], else: [] };
      target().push(node);
      stack.push({ node, inElse: false });
    } else if (b === 'else') {
      const top = stack[stack.length - 1];
      if (top === undefined || top.inElse) throw new Error('else without if');
      top.inElse = true;
    } else if (b === 'end') {
      if (stack.pop() === undefined) throw new Error('end without if');
    } else {
      target().push({ kind: 'out', expr: b });
    }
  }
  if (stack.length > 0) throw new Error('if without end');
  return root;
}

export class Renderer {
  /** Every `.Values` path read, as `a.b.c`. */
  readonly valuesRead = new Set<string>();

  constructor(private readonly ctx: RenderContext) {}

  render(src: string): string {
    return this.nodes(parse(src));
  }

  private nodes(nodes: Node[]): string {
    let out = '';
    for (const n of nodes) {
      if (n.kind === 'text') out += n.text;
      else if (n.kind === 'out') out += toText(this.pipeline(n.expr));
      else out += this.nodes(truthy(this.pipeline(n.cond)) ? n.then : n.else);
    }
    return out;
  }

  private term(t: string): unknown {
    if (/^[0-9]+$/.test(t)) return Number(t);
    if (/^"[^"]*"$/.test(t)) return t.slice(1, -1);
    const m = /^\.(Values|Release|Chart)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/.exec(t);
    if (m === null) throw new Error(`the renderer does not know the term ${JSON.stringify(t)}`);
    const path = (m[2] as string).split('.').slice(1);
    let at: unknown = this.ctx[m[1] as keyof RenderContext];
    for (const key of path) {
      if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) throw new Error(`${t} is not defined`);
      at = (at as Record<string, unknown>)[key];
    }
    if (m[1] === 'Values') this.valuesRead.add(path.join('.'));
    return at;
  }

  private pipeline(expr: string): unknown {
    const stages = expr.split('|').map((s) => s.trim());
    let value = this.call(stages[0] as string, undefined, false);
    for (const stage of stages.slice(1)) value = this.call(stage, value, true);
    return value;
  }

  private call(stage: string, piped: unknown, hasPiped: boolean): unknown {
    const [name, ...args] = stage.split(/\s+/);
    if (name === undefined) throw new Error('empty action');
    if (name.startsWith('.') || /^[0-9"]/.test(name)) {
      if (hasPiped || args.length > 0) throw new Error(`cannot call ${name}`);
      return this.term(name);
    }
    const a = args.map((x) => this.term(x));
    const input = hasPiped ? piped : a.pop();
    switch (name) {
      case 'quote':
        return JSON.stringify(toText(input));
      case 'toYaml':
        return stringify(input, { lineWidth: 0 }).replace(/\n$/, '');
      case 'nindent':
        return `\n${indent(Number(a[0]), toText(input))}`;
      case 'indent':
        return indent(Number(a[0]), toText(input));
      case 'default':
        return truthy(input) ? input : a[0];
      default:
        throw new Error(`the renderer does not know the function ${JSON.stringify(name)}`);
    }
  }
}

function indent(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return s
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') throw new Error('an object cannot be printed; pipe it to toYaml');
  return String(v);
}
