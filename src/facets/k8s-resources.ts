/**
 * The built-in Kubernetes resource table for the k8s facet: plural names, kinds, API groups,
 * scope and the short names kubectl accepts, plus the resolver for kubectl's
 * `TYPE[.VERSION][.GROUP]` arguments.
 *
 * Only names that really exist in Kubernetes are listed (no invented short names). A resource
 * not in the table is reported as written, lower-cased, with its scope unknown.
 */

/**
 * What the table knows about one built-in resource.
 *
 * @example
 * ```ts
 * const pods: ResourceInfo = { resource: 'pods', kind: 'Pod', group: '', version: 'v1', namespaced: true };
 * ```
 */
export interface ResourceInfo {
  /** Plural, lower-case resource name (`pods`). */
  resource: string;
  /** Kind in its canonical case (`Pod`). */
  kind: string;
  /** API group; `''` for the core group. */
  group: string;
  /** Preferred version (`v1`). */
  version: string;
  /** `true` when objects live in a namespace, `false` when cluster-scoped. */
  namespaced: boolean;
}

/**
 * A resource argument after resolution. `namespaced` is `undefined` when the resource is not a
 * built-in one (a custom resource), so its scope is not known.
 *
 * @example
 * ```ts
 * const crd: ResolvedResource = { resource: 'certificates', kind: '', group: 'cert-manager.io', version: '', namespaced: undefined };
 * ```
 */
export interface ResolvedResource {
  resource: string;
  kind: string;
  group: string;
  version: string;
  namespaced: boolean | undefined;
}

// [resource, kind, group, version, namespaced, short names]
type Row = readonly [string, string, string, string, boolean, readonly string[]];

const ROWS: readonly Row[] = [
  ['bindings', 'Binding', '', 'v1', true, []],
  ['componentstatuses', 'ComponentStatus', '', 'v1', false, ['cs']],
  ['configmaps', 'ConfigMap', '', 'v1', true, ['cm']],
  ['endpoints', 'Endpoints', '', 'v1', true, ['ep']],
  ['events', 'Event', '', 'v1', true, ['ev']],
  ['limitranges', 'LimitRange', '', 'v1', true, ['limits']],
  ['namespaces', 'Namespace', '', 'v1', false, ['ns']],
  ['nodes', 'Node', '', 'v1', false, ['no']],
  ['persistentvolumeclaims', 'PersistentVolumeClaim', '', 'v1', true, ['pvc']],
  ['persistentvolumes', 'PersistentVolume', '', 'v1', false, ['pv']],
  ['pods', 'Pod', '', 'v1', true, ['po']],
  ['podtemplates', 'PodTemplate', '', 'v1', true, []],
  ['replicationcontrollers', 'ReplicationController', '', 'v1', true, ['rc']],
  ['resourcequotas', 'ResourceQuota', '', 'v1', true, ['quota']],
  ['secrets', 'Secret', '', 'v1', true, []],
  ['serviceaccounts', 'ServiceAccount', '', 'v1', true, ['sa']],
  ['services', 'Service', '', 'v1', true, ['svc']],
  ['mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', 'admissionregistration.k8s.io', 'v1', false, []],
  ['validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', 'admissionregistration.k8s.io', 'v1', false, []],
  ['validatingadmissionpolicies', 'ValidatingAdmissionPolicy', 'admissionregistration.k8s.io', 'v1', false, []],
  ['validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', 'admissionregistration.k8s.io', 'v1', false, []],
  ['mutatingadmissionpolicies', 'MutatingAdmissionPolicy', 'admissionregistration.k8s.io', 'v1beta1', false, []],
  ['mutatingadmissionpolicybindings', 'MutatingAdmissionPolicyBinding', 'admissionregistration.k8s.io', 'v1beta1', false, []],
  ['customresourcedefinitions', 'CustomResourceDefinition', 'apiextensions.k8s.io', 'v1', false, ['crd', 'crds']],
  ['apiservices', 'APIService', 'apiregistration.k8s.io', 'v1', false, []],
  ['controllerrevisions', 'ControllerRevision', 'apps', 'v1', true, []],
  ['daemonsets', 'DaemonSet', 'apps', 'v1', true, ['ds']],
  ['deployments', 'Deployment', 'apps', 'v1', true, ['deploy']],
  ['replicasets', 'ReplicaSet', 'apps', 'v1', true, ['rs']],
  ['statefulsets', 'StatefulSet', 'apps', 'v1', true, ['sts']],
  ['selfsubjectreviews', 'SelfSubjectReview', 'authentication.k8s.io', 'v1', false, []],
  ['tokenreviews', 'TokenReview', 'authentication.k8s.io', 'v1', false, []],
  ['localsubjectaccessreviews', 'LocalSubjectAccessReview', 'authorization.k8s.io', 'v1', true, []],
  ['selfsubjectaccessreviews', 'SelfSubjectAccessReview', 'authorization.k8s.io', 'v1', false, []],
  ['selfsubjectrulesreviews', 'SelfSubjectRulesReview', 'authorization.k8s.io', 'v1', false, []],
  ['subjectaccessreviews', 'SubjectAccessReview', 'authorization.k8s.io', 'v1', false, []],
  ['horizontalpodautoscalers', 'HorizontalPodAutoscaler', 'autoscaling', 'v2', true, ['hpa']],
  ['cronjobs', 'CronJob', 'batch', 'v1', true, ['cj']],
  ['jobs', 'Job', 'batch', 'v1', true, []],
  ['certificatesigningrequests', 'CertificateSigningRequest', 'certificates.k8s.io', 'v1', false, ['csr']],
  ['clustertrustbundles', 'ClusterTrustBundle', 'certificates.k8s.io', 'v1beta1', false, []],
  ['leases', 'Lease', 'coordination.k8s.io', 'v1', true, []],
  ['leasecandidates', 'LeaseCandidate', 'coordination.k8s.io', 'v1beta1', true, []],
  ['endpointslices', 'EndpointSlice', 'discovery.k8s.io', 'v1', true, []],
  // Same plural as core events; core wins for unqualified names, as in kubectl.
  ['events', 'Event', 'events.k8s.io', 'v1', true, ['ev']],
  ['flowschemas', 'FlowSchema', 'flowcontrol.apiserver.k8s.io', 'v1', false, []],
  ['prioritylevelconfigurations', 'PriorityLevelConfiguration', 'flowcontrol.apiserver.k8s.io', 'v1', false, []],
  ['ingressclasses', 'IngressClass', 'networking.k8s.io', 'v1', false, []],
  ['ingresses', 'Ingress', 'networking.k8s.io', 'v1', true, ['ing']],
  ['networkpolicies', 'NetworkPolicy', 'networking.k8s.io', 'v1', true, ['netpol']],
  ['ipaddresses', 'IPAddress', 'networking.k8s.io', 'v1', false, []],
  ['servicecidrs', 'ServiceCIDR', 'networking.k8s.io', 'v1', false, []],
  ['runtimeclasses', 'RuntimeClass', 'node.k8s.io', 'v1', false, []],
  ['poddisruptionbudgets', 'PodDisruptionBudget', 'policy', 'v1', true, ['pdb']],
  ['clusterrolebindings', 'ClusterRoleBinding', 'rbac.authorization.k8s.io', 'v1', false, []],
  ['clusterroles', 'ClusterRole', 'rbac.authorization.k8s.io', 'v1', false, []],
  ['rolebindings', 'RoleBinding', 'rbac.authorization.k8s.io', 'v1', true, []],
  ['roles', 'Role', 'rbac.authorization.k8s.io', 'v1', true, []],
  ['deviceclasses', 'DeviceClass', 'resource.k8s.io', 'v1', false, []],
  ['resourceclaims', 'ResourceClaim', 'resource.k8s.io', 'v1', true, []],
  ['resourceclaimtemplates', 'ResourceClaimTemplate', 'resource.k8s.io', 'v1', true, []],
  ['resourceslices', 'ResourceSlice', 'resource.k8s.io', 'v1', false, []],
  ['priorityclasses', 'PriorityClass', 'scheduling.k8s.io', 'v1', false, ['pc']],
  ['csidrivers', 'CSIDriver', 'storage.k8s.io', 'v1', false, []],
  ['csinodes', 'CSINode', 'storage.k8s.io', 'v1', false, []],
  ['csistoragecapacities', 'CSIStorageCapacity', 'storage.k8s.io', 'v1', true, []],
  ['storageclasses', 'StorageClass', 'storage.k8s.io', 'v1', false, ['sc']],
  ['volumeattachments', 'VolumeAttachment', 'storage.k8s.io', 'v1', false, []],
  ['volumeattributesclasses', 'VolumeAttributesClass', 'storage.k8s.io', 'v1', false, []],
  // Groups that older clusters still serve for the same kinds; never preferred for bare names.
  ['deployments', 'Deployment', 'extensions', 'v1beta1', true, []],
  ['daemonsets', 'DaemonSet', 'extensions', 'v1beta1', true, []],
  ['replicasets', 'ReplicaSet', 'extensions', 'v1beta1', true, []],
  ['ingresses', 'Ingress', 'extensions', 'v1beta1', true, []],
  ['networkpolicies', 'NetworkPolicy', 'extensions', 'v1beta1', true, []],
];

const LEGACY_GROUPS = new Set(['extensions']);

function toInfo(row: Row): ResourceInfo {
  return { resource: row[0], kind: row[1], group: row[2], version: row[3], namespaced: row[4] };
}

const INFOS: readonly ResourceInfo[] = ROWS.map(toInfo);
/** `group/resource` -> info. */
const BY_GROUP_RESOURCE = new Map<string, ResourceInfo>();
/** `group/kind-lower-case` -> info. */
const BY_GROUP_KIND = new Map<string, ResourceInfo>();
/** Plural or singular (lower-case kind) name -> infos, preferred (core, then table order) first. */
const BY_NAME = new Map<string, ResourceInfo[]>();
/** Short name -> infos. */
const BY_SHORT = new Map<string, ResourceInfo[]>();

function push(map: Map<string, ResourceInfo[]>, key: string, info: ResourceInfo): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [info]);
  else if (!list.includes(info)) list.push(info);
}

for (let i = 0; i < ROWS.length; i++) {
  const row = ROWS[i] as Row;
  const info = INFOS[i] as ResourceInfo;
  BY_GROUP_RESOURCE.set(`${info.group}/${info.resource}`, info);
  BY_GROUP_KIND.set(`${info.group}/${info.kind.toLowerCase()}`, info);
  if (LEGACY_GROUPS.has(info.group)) continue;
  push(BY_NAME, info.resource, info);
  push(BY_NAME, info.kind.toLowerCase(), info);
  for (const s of row[5]) push(BY_SHORT, s, info);
}

/**
 * The built-in resource for an API group and plural resource name (both lower-case).
 *
 * @example
 * ```ts
 * lookupGroupResource('apps', 'deployments')?.kind; // 'Deployment'
 * ```
 */
export function lookupGroupResource(group: string, resource: string): ResourceInfo | undefined {
  return BY_GROUP_RESOURCE.get(`${group}/${resource}`);
}

/**
 * The built-in resource for an API group and kind; the kind is matched case-insensitively so
 * that `kind: secret` is still reported as a Secret (kubectl would refuse it, but the facet
 * must never under-report).
 *
 * @example
 * ```ts
 * lookupKind('rbac.authorization.k8s.io', 'ClusterRoleBinding')?.resource; // 'clusterrolebindings'
 * ```
 */
export function lookupKind(group: string, kind: string): ResourceInfo | undefined {
  return BY_GROUP_KIND.get(`${group}/${kind.toLowerCase()}`);
}

const VERSION_RE = /^v[0-9]+(?:(?:alpha|beta)[0-9]+)?$/;

function unknown(resource: string, group: string, version: string): ResolvedResource {
  const known = lookupGroupResource(group, resource);
  if (known !== undefined) return { ...known, version: version || known.version };
  return { resource, kind: '', group, version, namespaced: undefined };
}

function pick(list: readonly ResourceInfo[] | undefined, group: string | undefined): ResourceInfo | undefined {
  if (list === undefined) return undefined;
  if (group === undefined) return list[0];
  return list.find((i) => i.group === group);
}

/**
 * Resolves a kubectl resource argument: `po`, `pod`, `PODS`, `secrets.v1.`, `deployments.apps`,
 * `deployments.v1.apps`, `certificates.cert-manager.io`. Mirrors kubectl: with two or more dots
 * the form is `resource.version.group` when the second part is a version, otherwise
 * `resource.group`; names are matched case-insensitively; short names resolve only when the
 * group (if any) fits. An unknown name is kept as written, lower-cased, with unknown scope.
 *
 * @example
 * ```ts
 * resolveResourceArg('deploy');               // { resource: 'deployments', group: 'apps', ... }
 * resolveResourceArg('secrets.v1.').group;    // ''
 * resolveResourceArg('certificates.cert-manager.io'); // { resource: 'certificates', group: 'cert-manager.io', namespaced: undefined, ... }
 * ```
 */
export function resolveResourceArg(arg: string): ResolvedResource {
  const lower = arg.toLowerCase();
  const dot = lower.indexOf('.');
  let name = lower;
  let group: string | undefined;
  let version = '';
  if (dot >= 0) {
    name = lower.slice(0, dot);
    const rest = lower.slice(dot + 1);
    const dot2 = rest.indexOf('.');
    if (dot2 >= 0 && VERSION_RE.test(rest.slice(0, dot2))) {
      version = rest.slice(0, dot2);
      group = rest.slice(dot2 + 1);
    } else {
      group = rest;
    }
  }
  const byName = pick(BY_NAME.get(name), group);
  if (byName !== undefined) return { ...byName, version: version || byName.version };
  const shorts = BY_SHORT.get(name);
  if (shorts !== undefined) {
    // kubectl expands core short names whatever group is given, and others when the group
    // given is the row's group or a prefix of it (`hpa.autoscal`).
    const hit =
      group === undefined
        ? shorts[0]
        : shorts.find((i) => i.group === '' || i.group === group) ?? (group === '' ? undefined : shorts.find((i) => i.group.startsWith(group)));
    if (hit !== undefined) return { ...hit, version: version || hit.version };
  }
  return unknown(name, group ?? '', version);
}
