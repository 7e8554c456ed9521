/**
 * Debian's headless Chromium for browser tests, driven with playwright-core. `.ci/run` installs it
 * (`ci_apt_install chromium chromium`); outside CI, when it is missing, browser tests skip with a
 * message saying what to install.
 */
import { accessSync, constants } from 'node:fs';

/** The Chromium binary, or why there is none. */
export function findChromium(): { ok: true; path: string } | { ok: false; reason: string } {
  for (const path of [process.env.WARDEN_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => typeof p === 'string' && p !== '')) {
    try {
      accessSync(path, constants.X_OK);
      return { ok: true, path };
    } catch {
      // try the next
    }
  }
  return { ok: false, reason: 'no Chromium: install it (apt-get install chromium, as .ci/run does) or set WARDEN_CHROMIUM' };
}
