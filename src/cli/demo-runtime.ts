/**
 * `warden demo --scene runtime`: trust, rings and the kill switch at work. A deploy agent starts
 * trusted (ring 1) and deploys; two reported violations drop its trust a tier and its ring to 2,
 * and the ring-1 deploy tool is denied; then a long-running crawl is killed mid-way by the kill
 * switch and the agent's next call is denied. Everything lives in a memory store; nothing is
 * written to disk.
 */
import { GovernanceDenied } from '../enforce/denied.js';
import { govern } from '../enforce/govern.js';
import { Governor } from '../enforce/governor.js';
import { MemorySink } from '../enforce/memory-sink.js';
import { WardenError } from '../errors.js';
import { createIdentity } from '../identity/agent-key.js';
import { compilePolicy } from '../policy/compile.js';
import { parseKillTarget } from '../runtime/kill.js';
import { createRuntime } from '../runtime/runtime.js';
import { createMemoryStore } from '../store/memory.js';

/** The scene's policy: deploy is a ring-1 tool; reading logs and crawling are open to any ring. */
export const RUNTIME_DEMO_POLICY = `apiVersion: warden/v1
kind: Policy
name: runtime-demo
default: deny
rules:
  - name: deploy-needs-ring-1
    tools: [deploy]
    when: "agent.ring <= 1"
    effect: allow
    reason: deploying to production is a ring-1 tool
  - name: deploy-outside-ring-1
    tools: [deploy]
    when: "agent.ring > 1"
    effect: deny
    reason: deploy is a ring-1 tool, and this agent's trust has it in a less privileged ring
  - name: open-tools
    tools: [read_logs, crawl]
    effect: allow
    reason: any ring may read logs and crawl the docs
`;

/** Runs the scene, printing each step; returns the exit code (0 when every step went as the scene says). */
export async function runRuntimeDemo(out: (line: string) => void = (l) => console.log(l)): Promise<number> {
  const ops = createIdentity();
  // The scene's clock stands still, so its numbers do not move with the machine's speed (no decay between steps).
  const frozen = Date.now();
  const store = createMemoryStore({ clock: () => frozen });
  const runtime = createRuntime({ store, signers: [ops.did], trustEvents: false, watchMs: 50 });
  const sink = new MemorySink();
  const governor = new Governor({ policy: compilePolicy([{ name: 'runtime-demo.yaml', text: RUNTIME_DEMO_POLICY }]), agent: { id: 'deploy-bot' }, runtime, sink });
  const deploy = governor.wrap('deploy', async (a: { service: string }) => `deployed ${a.service}`);
  const readLogs = governor.wrap('read_logs', async (a: { service: string }) => `42 lines of ${a.service} logs`);
  let pages = 0;
  const crawl = govern(
    async (a: { pages: number }, { signal }: { signal: AbortSignal }) => {
      for (pages = 0; pages < a.pages && !signal.aborted; pages++) await new Promise((resolve) => setTimeout(resolve, 10));
      return `crawled ${pages} pages`;
    },
    { tool: 'crawl', governor, signal: true },
  ) as unknown as (a: { pages: number }) => Promise<string>;
  const facts = async (): Promise<string> => {
    const f = await runtime.enrich({ id: 'deploy-bot' });
    return `trust ${f.trust} (${f.tier}), ring ${f.ring}`;
  };
  const attempt = async (label: string, fn: () => Promise<string>): Promise<boolean> => {
    try {
      out(`  ${label}: ALLOW  ${await fn()}`);
      return true;
    } catch (e) {
      if (e instanceof GovernanceDenied) out(`  ${label}: DENY   ${e.decision.reason}`);
      else if (e instanceof WardenError) out(`  ${label}: ${e.code}  ${e.message}`);
      else throw e;
      return false;
    }
  };
  let ok = true;
  try {
    out('Warden runtime demo: deploy-bot under trust scores, rings and the kill switch.\n');
    await runtime.trust?.record('deploy-bot', { kind: 'baseline', value: 920, by: 'ops', reason: 'reviewed for production' });
    out(`1. An operator vouches for deploy-bot: ${await facts()}.`);
    ok = (await attempt('deploy checkout', () => deploy({ service: 'checkout' }))) && ok;
    out('\n2. A reviewer reports two violations (it tried to read ~/.aws/credentials, then to disable the audit log).');
    await runtime.trust?.record('deploy-bot', { kind: 'violation', reason: 'read ~/.aws/credentials', by: 'reviewer' });
    await runtime.trust?.record('deploy-bot', { kind: 'violation', reason: 'tried to disable the audit log', by: 'reviewer' });
    out(`   Now: ${await facts()}.`);
    ok = !(await attempt('deploy checkout', () => deploy({ service: 'checkout' }))) && ok;
    ok = (await attempt('read_logs checkout', () => readLogs({ service: 'checkout' }))) && ok;
    out('\n3. It starts a long crawl (1000 pages, 10 ms each); an operator runs `warden kill agent:deploy-bot` after ~100 ms.');
    const running = attempt('crawl', () => crawl({ pages: 1000 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const state = await runtime.kill.kill(parseKillTarget('agent:deploy-bot'), { reason: 'operator stop during incident review', key: ops });
    out(`   kill written (epoch ${state.epoch}).`);
    ok = !(await running) && ok;
    out(`   The crawl stopped after ${pages} of 1000 pages.`);
    ok = !(await attempt('read_logs checkout', () => readLogs({ service: 'checkout' }))) && ok;
    out(`\n${sink.events.length} decisions recorded; outcomes: ${sink.outcomes.map((o) => o.outcome.status).join(', ')}.`);
    return ok ? 0 : 1;
  } finally {
    await runtime.close();
    await store.close();
  }
}
