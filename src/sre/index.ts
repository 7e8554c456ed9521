/**
 * Agent SRE: service level objectives and error budgets with the SRE Workbook's multi-window,
 * multi-burn-rate alerts, circuit breakers per tool, and chaos experiments that inject faults into
 * the real call path of governed calls. {@link createSre} makes the runtime a pipeline watches
 * through its `monitors` option.
 *
 * @example
 * ```ts
 * import { createSre, loadSreFiles } from 'agent-warden/sre';
 * const sre = createSre(await loadSreFiles(['sre.yaml']));
 * const governor = new Governor({ policy, monitors: [sre] });
 * ```
 */
export { createSre, SreRuntime } from './runtime.js';
export type { SreOptions, ExperimentAuthority } from './runtime.js';
export { defineSlo, classify, SloTracker } from './slo.js';
export type { SloSpec, SloDefinition, SloStatus } from './slo.js';
export { defineBreaker, CircuitBreaker, breakerResult } from './breaker.js';
export type { BreakerSpec, BreakerConfig, BreakerAdmission, BreakerResult, BreakerStateName } from './breaker.js';
export { defineExperiment } from './chaos.js';
export type { ExperimentSpec, ExperimentDefinition, ExperimentReport, FaultSpec } from './chaos.js';
export { WORKBOOK_ALERTS, burnRate, budgetSpent, burnRateFor, detectionTimeMs, alertFires } from './burn-rate.js';
export type { BurnRateAlert } from './burn-rate.js';
export { RollingCounts } from './rolling-window.js';
export { parseDuration, formatDuration } from './duration.js';
export { Selector } from './selector.js';
export { parseSreDocuments, loadSreFiles } from './documents.js';
export type { SreDocuments } from './documents.js';
export type { CallMonitor, Admission, Fault, MonitoredCall, RuntimeVariables } from '../monitor.js';
export { policySre, loadPolicySre } from './policy-sre.js';
export { SharedBreakers, resetSharedBreaker, advanceBreaker, breakerStateKey, BREAKER_RESET_LOG, BREAKER_RESET_PURPOSE } from './shared-breaker.js';
export type { SharedBreakerState, SharedAdmission } from './shared-breaker.js';
export { startSharedExperiment, stopSharedExperiments, readSharedExperiments, experimentsOf, experimentsKilled, specOf, CHAOS_KEY, CHAOS_LOG, CHAOS_CHANNEL, CHAOS_PURPOSE, CHAOS_START_TOOL } from './shared-chaos.js';
export type { SharedExperiment, ChaosAuthorizer } from './shared-chaos.js';
export { exchangeSloCounts, sloMemberKey, MAX_SLO_MEMBERS } from './shared-slo.js';
