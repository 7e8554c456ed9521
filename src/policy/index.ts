/** The policy language: compile sources into a PolicySet and decide. */
export { compilePolicy } from './compile-policy.js';
export type { PolicySource, CompileOptions } from './compile.js';
export { PolicySet, type DecideOptions, type Explanation, type RuleExplanation, type PolicyInfo } from './policy-set.js';
export { PolicyLoadError, formatIssue, type PolicyIssue } from './issues.js';
export { DEFAULT_LIMITS, type RequestLimits } from './limits.js';
export { DEFAULT_LOAD_LIMITS, type LoadLimits } from './load-limits.js';
export { API_VERSION } from './api-version.js';
export type { Request, Decision, DecisionError, Effect, AgentIdentity } from '../decision.js';
