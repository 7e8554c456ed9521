/**
 * The runtime: execution rings 0-3 from configuration and trust tier, signed expiring elevations,
 * and an authoritative kill switch whose signed state lives in the store, is checked before every
 * decision, and aborts in-flight governed calls. See docs/runtime.md.
 *
 * @example
 * ```ts
 * import { openStore } from 'agent-warden/store';
 * import { createRuntime, parseKillTarget } from 'agent-warden/runtime';
 * import { createIdentity } from 'agent-warden/identity';
 * const ops = createIdentity();
 * const runtime = createRuntime({ store: await openStore('memory:'), signers: [ops.did] });
 * await runtime.kill.kill(parseKillTarget('agent:bot'), { reason: 'runaway loop', key: ops });
 * console.log(await runtime.killed('bot', null)); // 'Killed by the kill switch ...'
 * ```
 */
export { RINGS, LEAST_PRIVILEGE, isRing, parseRing } from './levels.js';
export type { Ring } from './levels.js';
export { ringPolicy, ringOf, DEFAULT_RINGS_BY_TIER } from './rings.js';
export type { RingConfig, RingPolicy } from './rings.js';
export { KillSwitch, parseKillTarget, matchKill, KILL_KEY, KILL_CHANNEL, MAX_KILLS } from './kill.js';
export type { KillTarget, KillEntry, KillState, KillSwitchOptions, KillReading } from './kill.js';
export { Elevations, elevationKey, RING_CHANNEL, ELEVATION_LOG, ELEVATE_TOOL } from './elevation.js';
export type { ElevationGrant, ElevationsOptions, ElevationAuthorizer } from './elevation.js';
export { Runtime, createRuntime } from './runtime.js';
export type { RuntimeOptions, RuntimeFacts } from './runtime.js';
export { PURPOSES as RUNTIME_SIGNATURE_PURPOSES } from './signed.js';
export type { SignedDocument } from './signed.js';
// Limits and budgets, session flow labels, sagas (docs/runtime.md: "Limits and budgets", "Flow rules", "Sagas").
export { counterOpFor, counterOptionsOf, limitOutcome, releaseOpFor, shapeProblem, amountProblem, TOTAL_SCALE } from './gcra.js';
export type { CounterOp, LimitOutcome, LimitShape } from './gcra.js';
export { checkAndCharge, limitStoreKey } from './limiter.js';
export type { ChargeResult, LimitCharge, LimitRefusal } from './limiter.js';
export { loadSession, commitSession, markSession, sessionAfterCall, sessionWithLabels, sessionStoreKey, sessionIdProblem, EMPTY_SESSION, DEFAULT_SESSION_TTL_MS, DEFAULT_HISTORY_SIZE } from './session.js';
export type { SessionState, LoadedSession } from './session.js';
export { runSaga, recoverSagas, compensateSaga, listSagaIds } from './saga.js';
export type { SagaStep, SagaTool, SagaRuntime, SagaPipeline, SagaResult } from './saga.js';
export { readSagaJournal, verifySagaJournal, appendSagaEntry, sagaStream, SAGA_INDEX } from './saga-journal.js';
export type { SagaCall, SagaEntry, SagaState, SagaStepRecord } from './saga-journal.js';
export { encodeLimitKey, MAX_LIMIT_KEY_CHARS } from '../policy/limit-key.js';
export type { LimitDemand, LimitDemands, FlowLabels } from '../policy/limit-compile.js';
export type { SessionView, SessionHistoryEntry } from '../policy/session-view.js';
