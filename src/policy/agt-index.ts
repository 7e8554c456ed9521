/** AGT (Microsoft Agent Governance Toolkit) policies: loading, condition translation, conversion. */
export { AGT_API_VERSION, AGT_EFFECT, AGT_NOT_TARGETED_RULE, isAgtDocument, readAgtDocument, readAgtPolicy, type AgtAction, type AgtPolicy, type AgtRuleInfo } from './agt.js';
export {
  AGT_ACTION_TYPE_CEL,
  MAX_AGT_CONDITION_CHARS,
  agtConditionToCel,
  celString,
  parseAgtCondition,
  type AgtAtom,
  type AgtCelTranslation,
  type AgtCondition,
  type AgtConditionError,
  type AgtConditionParse,
  type AgtLiteral,
  type AgtPath,
} from './agt-condition.js';
export { convertAgtPolicies, type AgtConversion } from './agt-convert.js';
