/**
 * The digest of a tool definition as a signed manifest records it and as the MCP gateway pins it:
 * SHA-256 of the canonical JSON of its name and model-visible fields, so a server whose listed
 * tools differ from the ones its publisher signed is caught by the same hash.
 */
import { digestOf } from '../lib/hash.js';

/** The fields of a tool definition that are hashed (besides `name`), in report order. */
export const TOOL_DEFINITION_FIELDS = ['title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;

/**
 * `sha256:` of the canonical JSON of `{ name, title?, description?, inputSchema?, outputSchema?,
 * annotations? }`; other members (`_meta`, `icons`) are left out.
 *
 * @example
 * ```ts
 * toolDefinitionDigest({ name: 'forecast', inputSchema: { type: 'object' }, _meta: {} }) === toolDefinitionDigest({ name: 'forecast', inputSchema: { type: 'object' } }); // true
 * ```
 */
export function toolDefinitionDigest(tool: { name: string } & Record<string, unknown>): string {
  const out: Record<string, unknown> = { name: tool.name };
  for (const f of TOOL_DEFINITION_FIELDS) if (tool[f] !== undefined) out[f] = tool[f];
  return digestOf(out);
}
