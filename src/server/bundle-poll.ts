/**
 * Looking for a new bundle: read a path or download an http(s) URL every interval and offer what
 * comes to the active policy (which verifies before it activates). A read or download that fails
 * is remembered as a failure; the bundle in force keeps serving.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { WardenWarning } from '../decision.js';
import type { ActivePolicy } from './active-policy.js';
import { BundleError, MAX_BUNDLE_BYTES } from './bundle-format.js';

/**
 * Starts polling `source`; `first` settles after the first attempt (whatever its outcome).
 *
 * @example
 * ```ts
 * const poller = startBundlePoller(active, 'https://bundles.example/warden.bundle.json', publicKey, 30_000, () => new Date(), console.warn);
 * await poller.first; poller.stop();
 * ```
 */
export function startBundlePoller(active: ActivePolicy, source: string, key: KeyObject, intervalMs: number, clock: () => Date, warn: (w: WardenWarning) => void): { first: Promise<void>; stop(): void; poll(): Promise<void> } {
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 100) throw new BundleError('unreadable', `The bundle poll interval must be at least 100 ms; got ${String(intervalMs)}.`);
  let running: Promise<void> | null = null;
  const poll = (): Promise<void> => {
    running ??= (async () => {
      let text: string;
      try {
        text = await fetchBundle(source);
      } catch (e) {
        const error = e instanceof BundleError ? e : new BundleError('unreadable', `The bundle ${source} could not be read: ${e instanceof Error ? e.message : String(e)}.`);
        active.noteFailure(error, clock);
        warn({ code: 'bundle_refused', message: `${error.message} The policy in force stays.` });
        return;
      }
      const result = await active.offerBundle(text, key, clock);
      if (!result.ok) warn({ code: 'bundle_refused', message: `The bundle ${source} was refused (${result.error.reason}): ${result.error.message} The policy in force stays.` });
    })().finally(() => {
      running = null;
    });
    return running;
  };
  const first = poll();
  const timer = setInterval(() => void poll(), intervalMs);
  timer.unref();
  return { first, poll, stop: () => clearInterval(timer) };
}

async function fetchBundle(source: string): Promise<string> {
  if (!/^https?:\/\//.test(source)) {
    const text = await readFile(source);
    if (text.length > MAX_BUNDLE_BYTES) throw new BundleError('too_large', `The bundle ${source} is over ${MAX_BUNDLE_BYTES} bytes.`);
    return text.toString('utf8');
  }
  const response = await fetch(source, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new BundleError('unreadable', `Downloading the bundle ${source} answered HTTP ${response.status}.`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > MAX_BUNDLE_BYTES) throw new BundleError('too_large', `The bundle ${source} is over ${MAX_BUNDLE_BYTES} bytes.`);
  const text = await response.text();
  if (Buffer.byteLength(text) > MAX_BUNDLE_BYTES) throw new BundleError('too_large', `The bundle ${source} is over ${MAX_BUNDLE_BYTES} bytes.`);
  return text;
}
