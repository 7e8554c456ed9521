/**
 * The service's own Prometheus metrics (requests by route and status, policy readiness, bundle
 * revision and failures), written in the text exposition format without a client library. The
 * pipeline's decision metrics (agent-warden/metrics, prom-client) are appended when prom-client,
 * an optional peer, is installed.
 */
import type { ActivePolicy } from './active-policy.js';

/**
 * Counts answers by route and status, and writes the service's metrics.
 *
 * @example
 * ```ts
 * const metrics = new ServerMetrics(active);
 * metrics.count('/v1/decide', 200);
 * res.end(metrics.text());
 * ```
 */
export class ServerMetrics {
  /** Counters by route, then status (no label text built per answer); `#order` lists them as first counted. */
  readonly #byRoute = new Map<string, Map<number, { labels: string; n: number }>>();
  readonly #order: Array<{ labels: string; n: number }> = [];

  constructor(private readonly active: ActivePolicy) {}

  /** Counts one answer. */
  count(route: string, status: number): void {
    let byStatus = this.#byRoute.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.#byRoute.set(route, byStatus);
    }
    const counter = byStatus.get(status);
    if (counter !== undefined) {
      counter.n++;
      return;
    }
    const added = { labels: `route="${route}",status="${status}"`, n: 1 };
    byStatus.set(status, added);
    this.#order.push(added);
  }

  /** The metrics in the Prometheus text format. */
  text(): string {
    const s = this.active.status();
    const lines = [
      '# HELP warden_server_requests_total HTTP requests answered, by route and status.',
      '# TYPE warden_server_requests_total counter',
      ...this.#order.map(({ labels, n }) => `warden_server_requests_total{${labels}} ${n}`),
      '# HELP warden_server_policy_ready 1 when a policy is active, else 0 (every call is then denied).',
      '# TYPE warden_server_policy_ready gauge',
      `warden_server_policy_ready ${s.ready ? 1 : 0}`,
      '# HELP warden_server_bundle_revision The policy bundle revision in force (0 for none or policy files).',
      '# TYPE warden_server_bundle_revision gauge',
      `warden_server_bundle_revision ${s.revision ?? 0}`,
      '# HELP warden_server_bundle_failures_total Bundles refused since start (the last good one kept serving).',
      '# TYPE warden_server_bundle_failures_total counter',
      `warden_server_bundle_failures_total ${s.watching ? 0 : s.failures}`,
      '# HELP warden_server_bundle_last_failed 1 when the last bundle offered was refused and an older one serves.',
      '# TYPE warden_server_bundle_last_failed gauge',
      `warden_server_bundle_last_failed ${!s.watching && s.lastError !== null ? 1 : 0}`,
      '# HELP warden_server_policy_watching 1 when the policy files are watched and reloaded on change (--watch).',
      '# TYPE warden_server_policy_watching gauge',
      `warden_server_policy_watching ${s.watching ? 1 : 0}`,
      '# HELP warden_server_policy_reloads_total Reloads of watched policy files since start, by result (a failed one left the last good policy serving).',
      '# TYPE warden_server_policy_reloads_total counter',
      `warden_server_policy_reloads_total{result="activated"} ${s.watching ? s.activations - 1 : 0}`,
      `warden_server_policy_reloads_total{result="failed"} ${s.watching ? s.failures : 0}`,
      '# HELP warden_server_policy_reload_last_failed 1 when the last change of the watched policy files did not load and the last good policy serves.',
      '# TYPE warden_server_policy_reload_last_failed gauge',
      `warden_server_policy_reload_last_failed ${s.watching && s.lastError !== null ? 1 : 0}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
