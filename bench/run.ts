/**
 * `npm run bench [-- name...]`: runs every bench (or the named ones) and prints their tables.
 */
const benches: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  decide: () => import('./decide.js'),
  sql: () => import('./sql.js'),
  shell: () => import('./shell.js'),
  url: () => import('./url.js'),
  k8s: () => import('./k8s.js'),
  redact: () => import('./redact.js'),
  audit: () => import('./audit.js'),
  govern: () => import('./govern.js'),
  check: () => import('./check.js'),
  replay: () => import('./replay.js'),
  hook: () => import('./hook.js'),
  startup: () => import('./startup.js'),
  'policy-load': () => import('./policy-load.js'),
  identity: () => import('./identity.js'),
  backends: () => import('./backends.js'),
  adapters: () => import('./adapters.js'),
  detect: () => import('./detect.js'),
  sandbox: () => import('./sandbox.js'),
  mcp: () => import('./mcp.js'),
  kill: () => import('./kill.js'),
  limits: () => import('./limits.js'),
  acs: () => import('./acs.js'),
  sre: () => import('./sre.js'),
  approvals: () => import('./approvals.js'),
  supply: () => import('./supply.js'),
  'audit-postgres': () => import('./audit-postgres.js'),
  serve: () => import('./serve.js'),
  training: () => import('./training.js'),
  'sre-shared': () => import('./sre-shared.js'),
  fleet: () => import('./fleet.js'),
  realpath: () => import('./realpath.js'),
};

const wanted = process.argv.slice(2);
for (const [name, load] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const mod = await load();
  await mod.run();
}
