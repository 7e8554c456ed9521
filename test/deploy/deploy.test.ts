/**
 * The deploy files: the Helm chart renders (with the small renderer in helm-render.ts; helm is not
 * installable here) into Kubernetes objects with the probes, port, non-root security context and
 * limits the service needs, reading only values that exist; the compose file wires the service to
 * PostgreSQL and Redis; the Dockerfile copies only paths that exist and pins the fleet drivers to
 * the locked versions; the policies both ship compile.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { compilePolicy } from '../../src/policy/compile.js';
import { Renderer, type RenderContext } from './helm-render.js';

const root = join(import.meta.dirname, '..', '..');
const chartDir = join(root, 'deploy', 'helm', 'warden');
const composeDir = join(root, 'deploy', 'compose');

type Obj = Record<string, unknown>;

const baseValues = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Obj;
const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { name: string; appVersion: string; version: string };

function withFleet(): Obj {
  const v = structuredClone(baseValues) as { store: { enabled: boolean }; audit: { postgres: { enabled: boolean } }; replicaCount: number };
  v.store.enabled = true;
  v.audit.postgres.enabled = true;
  v.replicaCount = 3;
  return v as unknown as Obj;
}

/** Renders every template; returns the parsed objects by kind and the value paths read. */
function render(values: Obj): { objects: Map<string, Obj>; read: Set<string>; notes: string } {
  const ctx: RenderContext = { Values: values, Release: { Name: 'warden', Namespace: 'default' }, Chart: { Name: chart.name, AppVersion: chart.appVersion, Version: chart.version } };
  const r = new Renderer(ctx);
  const objects = new Map<string, Obj>();
  let notes = '';
  for (const file of readdirSync(join(chartDir, 'templates'))) {
    const out = r.render(readFileSync(join(chartDir, 'templates', file), 'utf8'));
    if (file === 'NOTES.txt') {
      notes = out;
      continue;
    }
    for (const doc of parseAllDocuments(out)) {
      expect(doc.errors, `${file} renders to YAML`).toEqual([]);
      const o = doc.toJS() as Obj;
      objects.set(String(o.kind), o);
    }
  }
  return { objects, read: r.valuesRead, notes };
}

function container(objects: Map<string, Obj>): Obj & { args: string[]; env: Array<{ name: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }> } {
  const d = objects.get('Deployment') as { spec: { template: { spec: { containers: Obj[] } } } };
  return d.spec.template.spec.containers[0] as never;
}

/** Every leaf path of an object, as `a.b.c`. */
function leafPaths(o: unknown, prefix = ''): string[] {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return [prefix];
  return Object.entries(o).flatMap(([k, v]) => [prefix === '' ? k : `${prefix}.${k}`, ...leafPaths(v, prefix === '' ? k : `${prefix}.${k}`)]);
}

describe('Helm chart (deploy/helm/warden)', () => {
  for (const [name, values] of [
    ['the default values (embedded)', baseValues],
    ['store and audit.postgres enabled (fleet)', withFleet()],
  ] as const) {
    describe(name, () => {
      const { objects, read } = render(values);

      it('renders a Deployment, a Service and the policy ConfigMap', () => {
        expect([...objects.keys()].sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
      });

      it('probes /readyz for readiness and /healthz for liveness on the http port 8181', () => {
        const c = container(objects) as unknown as { ports: Obj[]; readinessProbe: Obj; livenessProbe: Obj };
        expect(c.ports).toEqual([{ name: 'http', containerPort: 8181, protocol: 'TCP' }]);
        expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'http' } });
        expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' } });
        const svc = objects.get('Service') as { spec: { ports: Obj[]; selector: Obj } };
        expect(svc.spec.ports).toEqual([{ name: 'http', port: 8181, targetPort: 'http', protocol: 'TCP' }]);
        const d = objects.get('Deployment') as { spec: { selector: { matchLabels: Obj }; template: { metadata: { labels: Obj } } } };
        expect(svc.spec.selector).toEqual(d.spec.selector.matchLabels);
        expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
      });

      it('runs as a non-root user with a read-only root, no privilege escalation and no capabilities', () => {
        const d = objects.get('Deployment') as { spec: { template: { spec: { securityContext: Obj; automountServiceAccountToken: boolean } } } };
        const pod = d.spec.template.spec.securityContext as { runAsNonRoot: boolean; runAsUser: number };
        expect(pod.runAsNonRoot).toBe(true);
        expect(pod.runAsUser).toBeGreaterThan(0);
        expect(d.spec.template.spec.automountServiceAccountToken).toBe(false);
        expect(container(objects).securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      });

      it('sets resource requests and limits', () => {
        expect(container(objects).resources).toMatchObject({ limits: { cpu: expect.any(String) as string, memory: expect.any(String) as string }, requests: { cpu: expect.any(String) as string, memory: expect.any(String) as string } });
      });

      it('serves the policy from the ConfigMap at /policy, and the policy compiles', () => {
        const c = container(objects) as unknown as { args: string[]; volumeMounts: Obj[] };
        expect(c.args.slice(0, 5)).toEqual(['serve', '--policy', '/policy', '--listen', '0.0.0.0:8181']);
        expect(c.volumeMounts).toContainEqual({ name: 'policy', mountPath: '/policy', readOnly: true });
        const data = (objects.get('ConfigMap') as { data: Record<string, string> }).data;
        expect(Object.keys(data)).toEqual(['policy.yaml']);
        expect(() => compilePolicy(Object.entries(data).map(([n, text]) => ({ name: n, text })))).not.toThrow();
      });

      it('takes every secret from a Secret reference and defines every $(VAR) its args use', () => {
        const c = container(objects);
        const env = new Map(c.env.map((e) => [e.name, e]));
        for (const e of c.env) expect(e.valueFrom?.secretKeyRef.name).toBe('warden-secrets');
        for (const arg of c.args) for (const m of arg.matchAll(/\$\(([A-Z_]+)\)/g)) expect(env.has(m[1] as string)).toBe(true);
        expect(JSON.stringify(c)).not.toMatch(/postgres:\/\/|redis:\/\//);
      });

      it('reads only values that exist in values.yaml', () => {
        const defined = new Set(leafPaths(baseValues));
        for (const path of read) expect(defined.has(path)).toBe(true);
      });
    });
  }

  it('passes the fleet backends only when enabled', () => {
    const embedded = container(render(baseValues).objects).args;
    expect(embedded.join(' ')).not.toMatch(/--store|--audit-postgres|--redis/);
    const fleet = container(render(withFleet()).objects).args;
    expect(fleet).toEqual([
      'serve',
      '--policy',
      '/policy',
      '--listen',
      '0.0.0.0:8181',
      '--store',
      '$(WARDEN_STORE_URL)',
      '--redis',
      '$(WARDEN_REDIS_URL)',
      '--audit-postgres',
      '$(WARDEN_AUDIT_POSTGRES_URL)',
      '--audit-stream',
      'warden',
    ]);
    expect((render(withFleet()).objects.get('Deployment') as { spec: { replicas: number } }).spec.replicas).toBe(3);
  });

  it('the renderer refuses a construct it does not implement rather than guessing', () => {
    const r = new Renderer({ Values: { a: [1] }, Release: { Name: 'x', Namespace: 'y' }, Chart: { Name: 'c', AppVersion: '1', Version: '1' } });
    expect(() => r.render('{{ range .Values.a }}x{{ end }}')).toThrow(/does not know/);
    expect(() => r.render('{{ .Values.missing }}')).toThrow(/not defined/);
    expect(r.render('a\n  {{- .Values.a | toYaml | nindent 2 }}\nb')).toBe('a\n  - 1\nb');
  });
});

describe('docker compose example (deploy/compose)', () => {
  const compose = parse(readFileSync(join(composeDir, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Obj & { command?: string[]; depends_on?: Obj; volumes?: string[]; build?: { context: string; dockerfile: string } }> };
  const warden = compose.services.warden as { command: string[]; depends_on: Obj; volumes: string[]; build: { context: string; dockerfile: string }; user: string; environment: Obj; healthcheck: { test: string[] } };

  it('runs the service with PostgreSQL and Redis, waiting until both are healthy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'redis', 'warden']);
    expect(warden.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    expect(compose.services.postgres?.healthcheck).toBeDefined();
    expect(compose.services.redis?.healthcheck).toBeDefined();
  });

  it('points the store, Redis and the audit sink at the compose services', () => {
    const args = warden.command;
    expect(args.slice(0, 5)).toEqual(['serve', '--policy', '/policy', '--listen', '0.0.0.0:8181']);
    const after = (flag: string): string => args[args.indexOf(flag) + 1] ?? '';
    expect(new URL(after('--store').replace(/\$\{[^}]+\}/g, 'x')).host).toBe('postgres:5432');
    expect(new URL(after('--audit-postgres').replace(/\$\{[^}]+\}/g, 'x')).host).toBe('postgres:5432');
    expect(after('--redis')).toBe('redis://redis:6379');
    expect(warden.healthcheck.test.join(' ')).toContain('/readyz');
  });

  it('builds the image from the repository and mounts a policy that exists and compiles', () => {
    expect(existsSync(join(composeDir, warden.build.context, warden.build.dockerfile))).toBe(true);
    const policyMount = warden.volumes.find((v) => v.endsWith(':/policy:ro')) as string;
    const policyDir = join(composeDir, policyMount.split(':')[0] as string);
    const files = readdirSync(policyDir);
    expect(files.length).toBeGreaterThan(0);
    expect(() => compilePolicy(files.map((f) => ({ name: f, text: readFileSync(join(policyDir, f), 'utf8') })))).not.toThrow();
  });

  it('runs as the image user, and every variable it needs is listed in .env.example', () => {
    expect(warden.user).toBe('10001:10001');
    const text = readFileSync(join(composeDir, 'docker-compose.yml'), 'utf8');
    const used = new Set([...text.matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1] as string));
    const listed = new Set([...readFileSync(join(composeDir, '.env.example'), 'utf8').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1] as string));
    expect([...used].sort()).toEqual([...listed].sort());
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => /^[A-Z]+\s/.test(l));

  it('copies from the build context only paths that exist and are not excluded by .dockerignore', () => {
    const copies = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const line of copies) {
      const parts = line.split(/\s+/).slice(1);
      for (const src of parts.slice(0, -1)) {
        expect(existsSync(join(root, src)), `${src} exists`).toBe(true);
        expect(ignored.includes(src.replace(/\/$/, '')), `${src} is not in .dockerignore`).toBe(false);
      }
    }
  });

  it('builds with npm ci and npm run build on a slim Node 22 or 24 image, and runs warden as a non-root user', () => {
    expect(text).toMatch(/^ARG NODE_VERSION=(22|24)$/m);
    expect(instructions.filter((l) => l.startsWith('FROM ')).every((l) => l.startsWith('FROM node:${NODE_VERSION}-slim'))).toBe(true);
    expect(text).toContain('RUN npm ci --ignore-scripts');
    expect(text).toContain('RUN npm run build');
    expect(instructions).toContain('ENTRYPOINT ["warden"]');
    const user = instructions.filter((l) => l.startsWith('USER ')).pop() ?? '';
    expect(user).toMatch(/^USER [1-9][0-9]*:[1-9][0-9]*$/);
    expect(instructions).toContain('EXPOSE 8181');
  });

  it('installs pg, ioredis and node-sql-parser at the versions package-lock.json holds', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    expect(text).toContain(`pg@${lock.packages['node_modules/pg']?.version}`);
    expect(text).toContain(`ioredis@${lock.packages['node_modules/ioredis']?.version}`);
    // The default command serves a mounted policy directory; examples/policies binds MySQL and SQLite.
    expect(text).toContain(`node-sql-parser@${lock.packages['node_modules/node-sql-parser']?.version}`);
  });
});
