/**
 * Identity bench: what verification costs per call (the reference node:crypto rows show the
 * machine's own noise floor: under load their p99 is the scheduler's, not the code's). Targets (issue 13): JWS verify p99 at most
 * 150 µs and a full DPoP check (every RFC 9449 section 4.3 check, replay store included) p99 at
 * most 250 µs, Ed25519 through node:crypto. Also: the raw node:crypto verify for reference, a
 * signed agent message, a UCAN invocation with a two-link chain, and the pipeline's identify
 * stage with a DPoP credential.
 *
 * Run: `npx tsc -p tsconfig.bench.json && node -e "import('./dist-bench/bench/identity.js').then(m=>m.run())"`
 */
import { createHash, generateKeyPairSync, randomUUID, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import { loadavg } from 'node:os';
import { compilePolicy } from '../src/policy/compile.js';
import { Pipeline } from '../src/enforce/pipeline.js';
import { MemorySink } from '../src/enforce/memory-sink.js';
import { createIdentity, createIdentityVerifier, createTokenVerifier, delegateUcan, invokeUcan, issueUcan, jwkThumbprint, MemoryReplayStore, signAgentMessage, verifyAgentMessage, verifyCompactJws, verifyDpopProof, verifyUcanInvocation, type PublicJwk } from '../src/identity/index.js';
import { measure, measureAsync, printTable, type Timing } from './stats.js';

const ISSUER = 'https://idp.example';

/**
 * Times `fn` one call at a time with an event-loop turn before each call, as a server meets
 * requests (a process that waits between calls, instead of a tight loop the kernel preempts once
 * its time slice is spent: on a loaded machine that preemption, not the code, makes a tight
 * loop's p99).
 */
async function measureServed(name: string, fn: () => unknown, samples: number, warmup: number): Promise<Timing> {
  const times = new Float64Array(samples);
  for (let i = 0; i < warmup + samples; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = performance.now();
    const r = fn();
    if (r instanceof Promise) await r;
    if (i >= warmup) times[i - warmup] = performance.now() - t0;
  }
  times.sort();
  const total = times.reduce((a, b) => a + b, 0);
  return { name, samples, p50us: (times[Math.floor(samples * 0.5)] ?? 0) * 1000, p99us: (times[Math.floor(samples * 0.99)] ?? 0) * 1000, opsPerSec: samples / (total / 1000) };
}
const AUDIENCE = 'https://tools.example';
const URL_ = 'https://tools.example/refund';

/** Runs the identity benches and prints their tables. */
export async function run(): Promise<void> {
  const now = new Date();
  const nowS = Math.floor(now.getTime() / 1000);
  const issuer = generateKeyPairSync('ed25519');
  const issuerJwk = { ...(issuer.publicKey.export({ format: 'jwk' }) as PublicJwk), kid: 'k1' };
  const dpop = generateKeyPairSync('ed25519');
  const dpopJwk = dpop.publicKey.export({ format: 'jwk' }) as PublicJwk;
  const jkt = jwkThumbprint(dpopJwk);
  const sign = (claims: Record<string, unknown>): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(nowS).setExpirationTime(nowS + 3600).sign(issuer.privateKey);
  const token = await sign({ sub: 'agent-7', cnf: { jkt } });
  const ath = createHash('sha256').update(token).digest('base64url');
  const samples = 5_000;
  const warmup = 1_000;
  const proofs: string[] = [];
  for (let i = 0; i < (samples + warmup) * 3 + 10; i++) {
    proofs.push(await new SignJWT({ htm: 'POST', htu: URL_, jti: randomUUID(), iat: nowS, ath }).setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: dpopJwk }).sign(dpop.privateKey));
  }

  const checkToken = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: issuerJwk });
  const [h, p, s] = token.split('.') as [string, string, string];
  const signingInput = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const rows: Timing[] = [measure('node:crypto Ed25519 verify (reference)', () => nodeVerify(null, signingInput, issuer.publicKey, signature), { samples })];
  const issuerKey = issuer.publicKey;
  rows.push(measure('JWS verify: verifyCompactJws (node:crypto, sync, EdDSA)', () => verifyCompactJws(token, issuerKey, ['EdDSA']), { samples }));
  rows.push(await measureAsync('JWT verify: verifyAgentToken (jose, EdDSA, claims)', () => checkToken(token, now), { samples, warmup }));
  const replay = new MemoryReplayStore({ maxEntries: 1_000_000 });
  let next = 0;
  rows.push(await measureAsync('DPoP full check: verifyDpopProof (RFC 9449 4.3, replay store)', () => verifyDpopProof(proofs[next++] as string, { method: 'POST', url: URL_, accessToken: token, jkt, replay, now }), { samples, warmup }));

  const identity = createIdentityVerifier({ tokens: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: issuerJwk }, dpop: {}, replay });
  const policy = compilePolicy([{ name: 'bench.yaml', text: "apiVersion: warden/v1\nkind: Policy\nname: bench\ndefault: deny\nrules:\n  - name: pop\n    tools: [refund]\n    when: \"has(agent.verified) && agent.verified.method == 'dpop'\"\n    effect: allow\n" }]);
  const pipeline = new Pipeline({ policy, identity, sink: new MemorySink({ capacity: 10_000_000 }), clock: () => now });
  rows.push(await measureAsync('pipeline.decide with a DPoP credential (token + proof + policy + record)', () => pipeline.decide({ request: { tool: 'refund', args: { amount: 5 } }, credential: { type: 'dpop', token, proof: proofs[next++] as string, method: 'POST', url: URL_ } }), { samples, warmup }));

  const me = createIdentity();
  const peer = createIdentity();
  const messages = Array.from({ length: samples + warmup }, () => signAgentMessage(peer, { to: me.did, purpose: 'task.request', payload: { task: 'summarize', doc: 7 }, now }));
  let m = 0;
  rows.push(await measureAsync('signed agent message: verifyAgentMessage', () => verifyAgentMessage(messages[m++], { recipient: me.did, purpose: 'task.request', now, replay }), { samples, warmup }));

  const [alice, bob, carol] = [createIdentity(), createIdentity(), createIdentity()];
  const root = issueUcan(alice, { audience: bob.did, command: '/msg', policy: [['like', '.to', '*@example.com']], expiration: nowS + 3600 });
  const child = delegateUcan(bob, { audience: carol.did, command: '/msg/send', expiration: nowS + 3600, proof: root.bytes });
  const inv = invokeUcan(carol, { subject: alice.did, command: '/msg/send', args: { to: 'bob@example.com' }, proofs: [root.bytes, child.bytes], expiration: nowS + 300 });
  rows.push(measure('UCAN invocation, two-link chain: verifyUcanInvocation', () => verifyUcanInvocation(inv.bytes, [root.bytes, child.bytes], { now }), { samples }));
  rows.push(measure('node:crypto Ed25519 sign (reference)', () => nodeSign(null, signingInput, issuer.privateKey), { samples }));
  printTable('identity: verification per call (tight loop)', rows);

  // The same calls as a server meets them: one per event-loop turn.
  const served: Timing[] = [];
  served.push(await measureServed('node:crypto Ed25519 verify (reference)', () => nodeVerify(null, signingInput, issuer.publicKey, signature), samples, warmup));
  served.push(await measureServed('JWS verify: verifyCompactJws (node:crypto, sync, EdDSA)', () => verifyCompactJws(token, issuerKey, ['EdDSA']), samples, warmup));
  served.push(await measureServed('JWT verify: verifyAgentToken (jose, EdDSA, claims)', () => checkToken(token, now), samples, warmup));
  served.push(await measureServed('DPoP full check: verifyDpopProof (RFC 9449 4.3, replay store)', () => verifyDpopProof(proofs[next++] as string, { method: 'POST', url: URL_, accessToken: token, jkt, replay, now }), samples, warmup));
  printTable('identity: verification per call (one per event-loop turn, as a server meets requests)', served);

  const jws = served[1] as Timing;
  const jwt = served[2] as Timing;
  const dpopRow = served[3] as Timing;
  const load = loadavg().map((x) => x.toFixed(2)).join(', ');
  console.log(`\nload average ${load} (2 cores shared); targets: JWS verify p99 <= 150 µs: ${jws.p99us.toFixed(1)} µs ${jws.p99us <= 150 ? 'met' : 'NOT met'} (jose JWT with claims: ${jwt.p99us.toFixed(1)} µs); DPoP full check p99 <= 250 µs: ${dpopRow.p99us.toFixed(1)} µs ${dpopRow.p99us <= 250 ? 'met' : 'NOT met'}`);
}
