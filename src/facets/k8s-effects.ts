/**
 * Kubernetes effects: the code a request runs in the cluster (`kubectl exec`, `run`, `debug`,
 * `attach`, `cp`), the network it opens here (`port-forward`, `proxy`, `--server`), the credential
 * plugins another kubeconfig can run (`--kubeconfig`), and the identity it takes (`--as`,
 * `--as-group`, `--token` and the other credential flags, as `privilege`). Reads,
 * writes and deletes of cluster resources stay in the k8s facet's own fields (`verb`,
 * `resources`, `objects`): they are API objects, not files.
 */
import type { Effects } from './effects-types.js';
import { emptyEffects } from './effects.js';
import type { K8sFacts } from './k8s.js';
import { normalizeHost } from './url-host.js';

/**
 * The effects of parsed k8s facts (`facts.parsed` must be true).
 *
 * @example
 * ```ts
 * k8sEffects(k8sFacet(['kubectl', 'exec', 'web', '--', 'sh'])).exec[0].via; // 'kubectl exec'
 * ```
 */
export function k8sEffects(facts: K8sFacts): Effects {
  const e = emptyEffects();
  const sub = facts.subcommand;
  const subresources = new Set(facts.objects.map((o) => o.subresource));
  const runs = subresources.has('exec') || subresources.has('attach') || sub === 'run' || sub.startsWith('debug') || facts.command.length > 0;
  if (runs) {
    const code = facts.command.join(' ');
    const via = sub !== '' ? `kubectl ${sub}` : `k8s ${[...subresources].filter((s) => s !== '').join(',') || facts.verb}`;
    e.exec.push({ program: 'kubectl', code, via, reason: 'code runs in a container of the cluster', known: code !== '', kind: 'remote' });
    if (code === '') {
      e.complete = false;
      e.unknown.push(`${via}: what runs in the container is not on the line`);
    }
  }
  if (facts.verbs.includes('port-forward') || subresources.has('portforward')) {
    e.network.push({ host: '127.0.0.1', port: 0, scheme: 'tcp', via: 'kubectl port-forward (listens)', known: true });
  }
  if (facts.verbs.includes('proxy') && sub === 'proxy') {
    e.network.push({ host: '127.0.0.1', port: 8001, scheme: 'http', via: 'kubectl proxy (listens)', known: true });
  }
  if (facts.server !== '') {
    let host: string;
    let port = 0;
    let scheme = '';
    try {
      const u = new URL(facts.server.includes('://') ? facts.server : `https://${facts.server}`);
      host = normalizeHost(u.hostname);
      scheme = u.protocol.slice(0, -1);
      port = u.port !== '' ? Number(u.port) : scheme === 'http' ? 80 : 443;
    } catch {
      host = '';
    }
    if (host === '') {
      e.network.push({ host: facts.server, port: 0, scheme: '', via: 'kubectl --server', known: false });
      e.complete = false;
      e.unknown.push(`kubectl --server ${facts.server} does not parse`);
    } else e.network.push({ host, port, scheme, via: 'kubectl --server', known: true });
  }
  if (facts.kubeconfig !== '') {
    // A kubeconfig's user can name an exec credential plugin, which kubectl runs to get a token.
    e.exec.push({ program: 'kubectl', code: '', via: 'kubectl --kubeconfig', reason: `the kubeconfig ${facts.kubeconfig} can name a credential plugin (users[].user.exec) that kubectl runs`, known: false, kind: 'hidden' });
    e.complete = false;
    e.unknown.push(`kubectl --kubeconfig ${facts.kubeconfig}: the file's credential plugins are not known`);
    e.reads.push({ path: facts.kubeconfig, via: 'kubectl --kubeconfig', known: facts.kubeconfig.startsWith('/') });
  }
  if (facts.impersonate !== '' || facts.verbs.includes('impersonate')) {
    e.privilege.push({ kind: 'impersonate', via: 'kubectl --as', reason: 'the request acts as another user, group or service account' });
  }
  for (const f of facts.files) {
    const effect = { path: f.path, via: `kubectl ${f.flag}`, known: f.path.startsWith('/') };
    if (f.access === 'read') e.reads.push(effect);
    else e.writes.push({ ...effect, recursive: f.flag === '--cache-dir' });
  }
  for (const flag of facts.credentials) {
    e.privilege.push({ kind: 'credentials', via: `kubectl --${flag}`, reason: 'the request authenticates with credentials given on the line, not the configured identity' });
  }
  return e;
}
