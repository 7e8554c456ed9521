import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument, ROUTES } from '../../src/server/routes.js';

describe('the OpenAPI document', () => {
  it('docs/server-openapi.json is exactly what the route table generates (regenerate: warden serve --openapi > docs/server-openapi.json)', () => {
    const committed = readFileSync(new URL('../../docs/server-openapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(`${JSON.stringify(openApiDocument(), null, 2)}\n`);
  });

  it('describes every route, with bearer security exactly on the authenticated ones', () => {
    const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, { security: unknown[] }>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const r of ROUTES) expect(doc.paths[r.path]?.[r.method.toLowerCase()]?.security).toEqual(r.auth ? [{ bearer: [] }] : []);
    expect(ROUTES.filter((r) => !r.auth).map((r) => r.path).sort()).toEqual(['/healthz', '/openapi.json', '/readyz']);
  });
});
