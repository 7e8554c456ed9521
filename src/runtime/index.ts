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
