/**
 * What an enforcement point hands the pipeline to identify the caller, and the verifier interface
 * the pipeline's `identify` stage calls. Types only: the pipeline imports nothing of
 * `agent-warden/identity` at run time (a subpath costs nothing when unused).
 */
import type { AgentIdentity } from '../decision.js';
import type { AgentKey } from './agent-key.js';
import type { AgentMessage } from './message.js';

/**
 * A credential: what the caller presented, as the enforcement point received it.
 *
 * @example
 * ```ts
 * const c: Credential = { type: 'dpop', token: accessToken, proof: req.headers.dpop, method: 'POST', url: 'https://tools.example/refund' };
 * ```
 */
export type Credential =
  /** A signed JWT (`Authorization: Bearer ...`). A token bound to a DPoP key is refused here: it needs its proof. */
  | { type: 'bearer'; token: string }
  /** A DPoP-bound token with its proof, and the method and URL of the request that carried them. */
  | { type: 'dpop'; token: string; proof: string; method: string; url: string }
  /** A signed agent-to-agent message whose payload is the call (`{ tool, args }`). */
  | { type: 'message'; message: AgentMessage }
  /** A UCAN invocation (DAG-CBOR bytes, or base64) and its proof chain, root first. */
  | { type: 'ucan'; invocation: Uint8Array | string; proofs: Array<Uint8Array | string> }
  /** An in-process agent's own key. */
  | { type: 'local'; key: AgentKey };

/**
 * What the `identify` stage tells the verifier about the call.
 *
 * @example
 * ```ts
 * const ctx: CredentialContext = { now: new Date(), sync: false, request: { tool: 'refund', args: { amount: 5 } } };
 * ```
 */
export interface CredentialContext {
  /** The call's time (the pipeline's clock). */
  now: Date;
  /** True in `decideSync`: a verification that must wait denies. */
  sync: boolean;
  /** The decided request (from the snapshot), for credentials bound to the call. */
  request: { tool: string; args: Record<string, unknown> };
}

/**
 * The verifier the pipeline's `identify` stage calls (`PipelineOptions.identity`); made by
 * `createIdentityVerifier()` from `agent-warden/identity`.
 *
 * @example
 * ```ts
 * const pipeline = new Pipeline({ policy, identity: createIdentityVerifier({ required: true, dpop: {}, tokens }) });
 * ```
 */
export interface CredentialVerifier {
  /** When true, a call without a credential is denied. */
  readonly required: boolean;
  /** Verifies a credential; returns the agent, or throws (or rejects) with the reason it failed. */
  verifyCredential(credential: unknown, context: CredentialContext): AgentIdentity | Promise<AgentIdentity>;
}
