import type { AgentKey } from '../../src/identity/agent-key.js';
import { PURPOSES, signDocument } from '../../src/runtime/signed.js';
export { Elevations, elevationKey, isRing, ringOf, ringPolicy } from '../../src/runtime/index.js';

/** A grant signed as the runtime signs one (for feeding crafted grants into the store). */
export function signDocumentForTest(key: AgentKey, payload: unknown): Record<string, unknown> {
  return signDocument(key, PURPOSES.elevation, payload as never) as unknown as Record<string, unknown>;
}
