/**
 * Agreement before timing: every peer must decide every request of a corpus as Warden does
 * (allow or deny, and the deciding rule), or it is not timed.
 */
import type { PolicySet } from '../../src/policy/policy-set.js';
import type { BenchRequest, Verdict } from './rules.js';

/** One request on which a peer and Warden differ. */
export interface Disagreement {
  index: number;
  request: BenchRequest;
  warden: Verdict;
  peer: Verdict | { error: string };
}

/** Warden's verdict on one request, in the shape every engine can give. */
export function wardenVerdict(set: PolicySet, request: BenchRequest, now: Date): Verdict {
  const d = set.decide(request, { now });
  if (d.effect !== 'allow' && d.effect !== 'deny') throw new Error(`Warden answered "${d.effect}", which no bench rule produces`);
  if (d.errors.length > 0) throw new Error(`Warden reported errors on a bench request: ${d.errors.map((e) => e.message).join('; ')}`);
  return { effect: d.effect, rule: d.rule };
}

/**
 * Compares `peer` with Warden on every request; returns every disagreement (an exception from the
 * peer counts as one).
 *
 * @example
 * ```ts
 * const bad = disagreements(set, corpus, (r) => peer.verdict(peer.input(r)), now);
 * ```
 */
export function disagreements(set: PolicySet, requests: readonly BenchRequest[], peer: (r: BenchRequest) => Verdict, now: Date): Disagreement[] {
  const out: Disagreement[] = [];
  requests.forEach((request, index) => {
    const warden = wardenVerdict(set, request, now);
    let theirs: Verdict | { error: string };
    try {
      theirs = peer(request);
    } catch (e) {
      theirs = { error: e instanceof Error ? e.message : String(e) };
    }
    if (!('effect' in theirs) || theirs.effect !== warden.effect || theirs.rule !== warden.rule) out.push({ index, request, warden, peer: theirs });
  });
  return out;
}

/** One line per disagreement, for the bench's refusal message. */
export function describeDisagreement(d: Disagreement): string {
  const said = (v: Verdict | { error: string }): string => ('error' in v ? `error: ${v.error}` : `${v.effect} by ${v.rule ?? 'no rule (default)'}`);
  return `#${d.index} ${JSON.stringify(d.request)}: warden ${said(d.warden)}, peer ${said(d.peer)}`;
}
