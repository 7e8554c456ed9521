/**
 * yaml's `parse`, as one module src/lib/lazy-module.ts can load on first use: configuration
 * readers that parse YAML only when called (the compliance report's deployment configuration,
 * the MCP gateway's warden.mcp.yaml) do not load the YAML library when their subpath is imported.
 */
export { parse } from 'yaml';
