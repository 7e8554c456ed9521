/**
 * Sigstore provenance, verified offline: a bundle (npm's provenance and publish attestations, or
 * any DSSE in-toto attestation with a Fulcio certificate) is checked by the `@sigstore/verify`
 * packages against a pinned trusted root (signature, certificate chain at the time the
 * transparency log recorded, the log's inclusion promise or proof, the CT timestamp), then the
 * certificate's identity is held to a policy of accepted identities (OIDC issuer, source
 * repository, workflow, ref, or a subject), and the attestation's subject to the artifact given
 * (its SHA-512 or SHA-256, and for npm the package name and version of the tarball).
 */
import { createHash } from 'node:crypto';
import { parseJsonText } from '../lib/json-text.js';
import { failedOf, SupplyError, type Failed } from './errors.js';
import { rejectPrototypeKeys } from './manifest.js';
import { PUBLIC_GOOD_TRUSTED_ROOT } from './sigstore-trusted-root.js';
import { tarballPackage } from './tarball.js';

/**
 * An identity whose attestations are accepted. Every member given must match; give `repository`
 * (with `workflow` and `ref` to narrow it) for CI builds, or `subject` for a person's signature.
 *
 * @example
 * ```ts
 * const id: AcceptedIdentity = { issuer: 'https://token.actions.githubusercontent.com', repository: 'https://github.com/acme/weather', workflow: '.github/workflows/release.yml', ref: 'refs/heads/main' };
 * ```
 */
export interface AcceptedIdentity {
  /** The OIDC issuer of the certificate (`https://token.actions.githubusercontent.com`). */
  issuer: string;
  /** The source repository URL, exactly (`https://github.com/acme/weather`). */
  repository?: string;
  /** The workflow file path in the repository (`.github/workflows/release.yml`). */
  workflow?: string;
  /** The git ref built (`refs/heads/main`, `refs/tags/v1.2.0`). */
  ref?: string;
  /** The certificate subject (its SAN: an email or a URI), exactly. */
  subject?: string;
}

/**
 * What a verified attestation says about who built the artifact.
 *
 * @example
 * ```ts
 * const p: ProvenanceIdentity = { issuer: 'https://token.actions.githubusercontent.com', subject: 'https://github.com/acme/weather/.github/workflows/release.yml@refs/heads/main', repository: 'https://github.com/acme/weather', workflow: '.github/workflows/release.yml', ref: 'refs/heads/main' };
 * ```
 */
export interface ProvenanceIdentity {
  issuer: string;
  subject: string;
  repository?: string;
  workflow?: string;
  ref?: string;
}

/**
 * A verified attestation.
 *
 * @example
 * ```ts
 * const r = await verifyNpmProvenance({ tarball, bundle, identities });
 * if (r.ok) console.log(r.identity.repository, r.package);
 * ```
 */
export interface VerifiedProvenance {
  ok: true;
  identity: ProvenanceIdentity;
  /** The time the transparency log recorded the signature. */
  signedAt: Date;
  predicateType: string;
  /** The matched subject's name (`pkg:npm/sigstore@1.0.0`, a file name). */
  subjectName: string;
  /** For npm: the tarball's package. */
  package?: { name: string; version: string };
}

/**
 * Options of {@link verifyProvenance}.
 *
 * @example
 * ```ts
 * const o: ProvenanceOptions = { artifact: readFileSync('a.txt'), bundle: JSON.parse(readFileSync('a.sigstore.json', 'utf8')), identities: [{ issuer, repository }] };
 * ```
 */
export interface ProvenanceOptions {
  /** The bytes attested. */
  artifact: Uint8Array;
  /** The bundle: its JSON text or parsed object. */
  bundle: string | unknown;
  /** Accepted identities; an empty list accepts none. */
  identities: readonly AcceptedIdentity[];
  /** A subject name the attestation must carry for the artifact (`pkg:npm/<name>@<version>`). */
  subjectName?: string;
  /** The trusted root (trusted_root.json's object). Default: the pinned public-good root. */
  trustedRoot?: unknown;
}

const OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildConfig: '1.3.6.1.4.1.57264.1.18',
  repository: '1.3.6.1.4.1.57264.1.12',
  ref: '1.3.6.1.4.1.57264.1.14',
} as const;

/**
 * Verifies an npm package tarball's provenance bundle: the Sigstore checks, the identity policy,
 * and that the attestation names this tarball's package and version (`pkg:npm/<name>@<version>`)
 * with this tarball's SHA-512. Never throws.
 *
 * @example
 * ```ts
 * const r = await verifyNpmProvenance({ tarball: readFileSync('sigstore-1.0.0.tgz'), bundle: readFileSync('provenance.json', 'utf8'), identities: [{ issuer: 'https://token.actions.githubusercontent.com', repository: 'https://github.com/sigstore/sigstore-js' }] });
 * ```
 */
export async function verifyNpmProvenance(options: Omit<ProvenanceOptions, 'artifact' | 'subjectName'> & { tarball: Uint8Array }): Promise<VerifiedProvenance | Failed> {
  try {
    const pkg = tarballPackage(options.tarball);
    const { tarball, ...rest } = options;
    const r = await verifyProvenance({ ...rest, artifact: tarball, subjectName: `pkg:npm/${pkg.name}@${pkg.version}` });
    return r.ok ? { ...r, package: pkg } : r;
  } catch (e) {
    return failedOf(e);
  }
}

/**
 * Verifies a Sigstore bundle of a DSSE in-toto attestation for `artifact`. Never throws.
 *
 * @example
 * ```ts
 * const r = await verifyProvenance({ artifact, bundle, identities: [{ issuer: 'https://token.actions.githubusercontent.com', repository: 'https://github.com/acme/tool' }] });
 * if (!r.ok) console.error(r.reason); // 'repository', 'workflow', 'digest', 'certificate_expired', ...
 * ```
 */
export async function verifyProvenance(options: ProvenanceOptions): Promise<VerifiedProvenance | Failed> {
  try {
    return await verifyOrThrow(options);
  } catch (e) {
    return failedOf(e);
  }
}

async function verifyOrThrow(options: ProvenanceOptions): Promise<VerifiedProvenance> {
  const sig = await loadSigstore();
  const json = typeof options.bundle === 'string' ? strictJson(options.bundle, 'bundle') : options.bundle;
  rejectPrototypeKeys(json, 'bundle');
  let bundle: ReturnType<typeof sig.bundleFromJSON>;
  try {
    bundle = sig.bundleFromJSON(json);
  } catch (e) {
    throw new SupplyError('bundle', `The Sigstore bundle is malformed (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  if (bundle.content.$case !== 'dsseEnvelope') throw new SupplyError('bundle', 'The bundle holds a message signature; provenance is a DSSE in-toto attestation.');
  const material = bundle.verificationMaterial.content;
  const leafBytes = material.$case === 'certificate' ? material.certificate.rawBytes : material.$case === 'x509CertificateChain' ? material.x509CertificateChain.certificates[0]?.rawBytes : undefined;
  if (leafBytes === undefined) throw new SupplyError('bundle', 'The bundle has no signing certificate (a public-key bundle carries no identity).');
  const rootJson = options.trustedRoot ?? PUBLIC_GOOD_TRUSTED_ROOT;
  checkTrustedRoot(rootJson);
  let trust: ReturnType<typeof sig.toTrustMaterial>;
  try {
    trust = sig.toTrustMaterial(sig.TrustedRoot.fromJSON(rootJson));
  } catch (e) {
    throw new SupplyError('trust_root', `The trusted root is malformed (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  const leaf = sig.X509Certificate.parse(Buffer.from(leafBytes));
  const entity = sig.toSignedEntity(bundle);
  try {
    new sig.Verifier(trust).verify(entity);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'CERTIFICATE_ERROR' && outsideValidity(leaf, bundle, rootJson)) {
      throw new SupplyError('certificate_expired', `The signing certificate (valid ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}) was not valid when the log recorded the signature, or lies outside the trusted CA's validity.`, { cause: e });
    }
    throw new SupplyError('provenance_signature', `The Sigstore bundle does not verify (${code ?? 'error'}: ${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  const identity = identityOf(leaf);
  checkIdentity(identity, options.identities);
  const envelope = bundle.content.dsseEnvelope;
  const statement = strictJson(Buffer.from(envelope.payload).toString('utf8'), 'the attestation statement') as { subject?: unknown; predicateType?: unknown };
  rejectPrototypeKeys(statement, 'statement');
  if (envelope.payloadType !== 'application/vnd.in-toto+json' || !Array.isArray(statement.subject) || typeof statement.predicateType !== 'string') {
    throw new SupplyError('bundle', 'The attestation is not an in-toto statement with subjects.');
  }
  const sha512 = createHash('sha512').update(options.artifact).digest('hex');
  const sha256 = createHash('sha256').update(options.artifact).digest('hex');
  const subjects = (statement.subject as Array<{ name?: unknown; digest?: Record<string, unknown> }>).filter((s) => s !== null && typeof s === 'object');
  const named = options.subjectName === undefined ? subjects : subjects.filter((s) => s.name === options.subjectName);
  if (named.length === 0) {
    throw new SupplyError('package', `The attestation is for ${subjects.map((s) => JSON.stringify(s.name)).join(', ')}, not for ${JSON.stringify(options.subjectName)}.`);
  }
  const match = named.find((s) => {
    const d = s.digest ?? {};
    const has512 = typeof d.sha512 === 'string';
    const has256 = typeof d.sha256 === 'string';
    // invariant: every digest the subject carries must match, and it must carry at least one we compute.
    return (has512 || has256) && (!has512 || d.sha512 === sha512) && (!has256 || d.sha256 === sha256);
  });
  if (match === undefined) throw new SupplyError('digest', `The attested digest is not the digest of the artifact given (sha512 ${sha512.slice(0, 16)}...): the artifact was changed or is another one.`);
  const signedAt = integratedTimes(bundle)[0] ?? new Date(0);
  return { ok: true, identity, signedAt, predicateType: statement.predicateType, subjectName: String(match.name) };
}

function checkIdentity(id: ProvenanceIdentity, accepted: readonly AcceptedIdentity[]): void {
  if (!Array.isArray(accepted) || accepted.length === 0) throw new SupplyError('subject', 'No accepted identities were given, so no attestation is accepted.');
  // The most specific failure of the closest candidate: the issuer first, then repository, workflow, ref, subject.
  let worst: SupplyError | null = null;
  for (const a of accepted) {
    const fail = mismatch(id, a);
    if (fail === null) return;
    if (worst === null || RANK.indexOf(fail.reason) > RANK.indexOf(worst.reason)) worst = fail;
  }
  throw worst as SupplyError;
}

const RANK = ['issuer', 'subject', 'repository', 'workflow', 'ref'];

function mismatch(id: ProvenanceIdentity, a: AcceptedIdentity): SupplyError | null {
  if (a === null || typeof a !== 'object' || typeof a.issuer !== 'string' || (a.repository === undefined && a.subject === undefined)) {
    return new SupplyError('subject', 'An accepted identity names its issuer and a repository or a subject.');
  }
  if (id.issuer !== a.issuer) return new SupplyError('issuer', `The certificate was issued by ${JSON.stringify(id.issuer)}, not ${JSON.stringify(a.issuer)}.`);
  if (a.subject !== undefined && id.subject !== a.subject) return new SupplyError('subject', `The certificate subject is ${JSON.stringify(id.subject)}, not ${JSON.stringify(a.subject)}.`);
  if (a.repository !== undefined && id.repository !== a.repository) return new SupplyError('repository', `The provenance names the repository ${JSON.stringify(id.repository ?? '(none)')}, not ${JSON.stringify(a.repository)}.`);
  if (a.workflow !== undefined && id.workflow !== a.workflow) return new SupplyError('workflow', `The provenance was built by the workflow ${JSON.stringify(id.workflow ?? '(none)')}, not ${JSON.stringify(a.workflow)}.`);
  if (a.ref !== undefined && id.ref !== a.ref) return new SupplyError('ref', `The provenance was built from ${JSON.stringify(id.ref ?? '(none)')}, not ${JSON.stringify(a.ref)}.`);
  return null;
}

type Leaf = { subjectAltName: string | undefined; notBefore: Date; notAfter: Date; extension(oid: string): { value: Buffer } | undefined };

/** The identity a Fulcio certificate carries (its SAN and Fulcio's extensions). */
function identityOf(leaf: Leaf): ProvenanceIdentity {
  const issuer = derString(leaf.extension(OID.issuer)?.value) ?? leaf.extension(OID.issuerV1)?.value.toString('utf8');
  const subject = leaf.subjectAltName;
  if (issuer === undefined || subject === undefined) throw new SupplyError('bundle', 'The signing certificate carries no OIDC issuer or subject.');
  const out: ProvenanceIdentity = { issuer, subject };
  const repository = derString(leaf.extension(OID.repository)?.value);
  if (repository !== undefined) out.repository = repository;
  const ref = derString(leaf.extension(OID.ref)?.value);
  if (ref !== undefined) out.ref = ref;
  const config = derString(leaf.extension(OID.buildConfig)?.value);
  if (config !== undefined && repository !== undefined && config.startsWith(`${repository}/`)) {
    const rest = config.slice(repository.length + 1);
    const at = rest.lastIndexOf('@');
    out.workflow = at === -1 ? rest : rest.slice(0, at);
  }
  return out;
}

/** A DER UTF8String's text (Fulcio's v2 extensions are DER-encoded). */
function derString(v: Buffer | undefined): string | undefined {
  if (v === undefined || v.length < 2 || v[0] !== 0x0c) return undefined;
  let len = v[1] as number;
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || v.length < 2 + n) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (v[2 + i] as number);
    off = 2 + n;
  }
  if (off + len !== v.length) return undefined;
  return v.subarray(off).toString('utf8');
}

function integratedTimes(bundle: { verificationMaterial: { tlogEntries: Array<{ integratedTime: string }> } }): Date[] {
  return bundle.verificationMaterial.tlogEntries.map((t) => new Date(Number(t.integratedTime) * 1000)).filter((d) => !Number.isNaN(d.getTime()) && d.getTime() > 0);
}

/** True when no log time falls in the leaf's validity, or no CA of the root is valid at its notBefore. */
function outsideValidity(leaf: Leaf, bundle: Parameters<typeof integratedTimes>[0], root: unknown): boolean {
  const times = integratedTimes(bundle);
  if (times.length > 0 && times.every((t) => t < leaf.notBefore || t > leaf.notAfter)) return true;
  const cas = (root as { certificateAuthorities?: Array<{ validFor?: { start?: string; end?: string } }> }).certificateAuthorities ?? [];
  return !cas.some((ca) => {
    const start = ca.validFor?.start === undefined ? -Infinity : Date.parse(ca.validFor.start);
    const end = ca.validFor?.end === undefined ? Infinity : Date.parse(ca.validFor.end);
    return leaf.notBefore.getTime() >= start && leaf.notBefore.getTime() <= end;
  });
}

function checkTrustedRoot(root: unknown): void {
  const r = root as { mediaType?: unknown; tlogs?: unknown; certificateAuthorities?: unknown; ctlogs?: unknown } | null;
  const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
  if (r === null || typeof r !== 'object' || typeof r.mediaType !== 'string' || !r.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot') || !nonEmpty(r.tlogs) || !nonEmpty(r.certificateAuthorities)) {
    throw new SupplyError('trust_root', 'The trusted root is not a Sigstore trusted_root.json (mediaType application/vnd.dev.sigstore.trustedroot+json, with transparency logs and certificate authorities).');
  }
}

function strictJson(text: string, what: string): unknown {
  const r = parseJsonText(text);
  if (!r.ok) throw new SupplyError('bundle', `${what} is not valid JSON: ${r.error}.`);
  return r.value;
}

type Sigstore = typeof import('@sigstore/verify') & Pick<typeof import('@sigstore/bundle'), 'bundleFromJSON'> & Pick<typeof import('@sigstore/core'), 'X509Certificate'> & Pick<typeof import('@sigstore/protobuf-specs'), 'TrustedRoot'>;

async function loadSigstore(): Promise<Sigstore> {
  try {
    const [verify, bundle, core, specs] = await Promise.all([import('@sigstore/verify'), import('@sigstore/bundle'), import('@sigstore/core'), import('@sigstore/protobuf-specs')]);
    return { ...verify, bundleFromJSON: bundle.bundleFromJSON, X509Certificate: core.X509Certificate, TrustedRoot: specs.TrustedRoot };
  } catch (e) {
    throw new SupplyError('missing_dependency', `Verifying provenance needs the sigstore packages: npm install @sigstore/verify@^3.1.1 @sigstore/bundle@^4 @sigstore/core@^3.2 @sigstore/protobuf-specs@^0.5 (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
}

