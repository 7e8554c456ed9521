/**
 * The k8s facet per input shape, beside the floor it cannot beat (the YAML parser alone) and the
 * regular-expression matching users would otherwise write (fast, and blind to every bypass in
 * THREATS.md class 8).
 */
import { parseAllDocuments } from 'yaml';
import { k8sFacet } from '../src/facets/k8s.js';
import { measure, printTable } from './stats.js';

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  labels: {app: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
`;
const MULTI = `${MANIFEST}---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: prod}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Secret
metadata: {name: web-tls, namespace: prod}
type: kubernetes.io/tls
data: {tls.crt: AAAA, tls.key: BBBB}
`;
const JSON_MANIFEST = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'prod' }, data: { a: '1', b: '2' } });

/** What a policy author might write without a facet: first word after kubectl, and a -n value. */
function naiveRegex(line: string): { verb: string; namespace: string } {
  const verb = /^kubectl\s+(\S+)/.exec(line)?.[1] ?? '';
  const namespace = /(?:-n|--namespace)[ =](\S+)/.exec(line)?.[1] ?? 'default';
  return { verb, namespace };
}

/**
 * Runs the k8s facet benchmarks and prints one table.
 *
 * @example
 * ```ts
 * await run();
 * ```
 */
export async function run(): Promise<void> {
  const rows = [
    measure('kubectl get pods -n prod', () => k8sFacet('kubectl get pods -n prod')),
    measure("kubectl exec -it web -n prod -- sh -c 'id'", () => k8sFacet("kubectl exec -it web -n prod -- sh -c 'id'")),
    measure('kubectl argv (get secret/db -o yaml)', () => k8sFacet(['kubectl', 'get', 'secret/db', '-o', 'yaml', '--context', 'prod'])),
    measure('kubectl drain (multi-object)', () => k8sFacet('kubectl drain node-1 --ignore-daemonsets --delete-emptydir-data')),
    measure('kubectl line with ; (refused)', () => k8sFacet('kubectl get pods; kubectl delete ns prod')),
    measure('REST /api/v1/namespaces/%70rod/secrets', () => k8sFacet('/api/v1/namespaces/%70rod/secrets')),
    measure('REST URL + query (exec)', () => k8sFacet('https://10.0.0.1:6443/api/v1/namespaces/x/pods/web/exec?command=sh&stdin=true', { verb: 'POST' })),
    measure('manifest YAML, 1 doc (17 lines)', () => k8sFacet(MANIFEST)),
    measure('manifest YAML, 3 docs', () => k8sFacet(MULTI)),
    measure('manifest JSON', () => k8sFacet(JSON_MANIFEST)),
    measure('manifest, parsed object', () => k8sFacet({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } })),
    measure('floor: yaml.parseAllDocuments, 3 docs', () => parseAllDocuments(MULTI).map((d) => d.toJS())),
    measure('naive regex (unsafe baseline)', () => naiveRegex('kubectl get pods -n prod')),
  ];
  printTable('k8s facet', rows);
}
