/**
 * Lenient percent-decoding shared by the URL and path facets: never throws, decodes `%XX` byte
 * sequences as UTF-8 (invalid sequences become U+FFFD) and leaves malformed escapes as written.
 */

const UTF8 = new TextDecoder('utf-8', { fatal: false });
const ENCODER = new TextEncoder();

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Decodes `%XX` escapes once. With `overlong`, the overlong UTF-8 spellings of `.`, `/` and `\`
 * (`%c0%ae`, `%e0%80%ae`, `%c0%af`, `%c1%9c`) decode to those characters, as some servers did.
 *
 * @example
 * ```ts
 * percentDecode('%2e%2e%2fetc');            // '../etc'
 * percentDecode('%c0%ae%c0%ae/', true);     // '../'
 * percentDecode('100%');                    // '100%'
 * ```
 */
export function percentDecode(text: string, overlong = false): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < n) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 3;
        continue;
      }
    }
    if (c < 0x80) {
      bytes.push(c);
      i++;
      continue;
    }
    // Copy a run of non-ASCII text as UTF-8 (keeps surrogate pairs together).
    let j = i + 1;
    while (j < n && text.charCodeAt(j) >= 0x80) j++;
    for (const b of ENCODER.encode(text.slice(i, j))) bytes.push(b);
    i = j;
  }
  if (overlong) {
    const out: number[] = [];
    for (let k = 0; k < bytes.length; k++) {
      const b0 = bytes[k] ?? 0;
      const b1 = bytes[k + 1] ?? -1;
      const b2 = bytes[k + 2] ?? -1;
      if (b0 === 0xc0 && (b1 === 0xae || b1 === 0xaf)) {
        out.push(b1 === 0xae ? 0x2e : 0x2f);
        k += 1;
      } else if (b0 === 0xc1 && b1 === 0x9c) {
        out.push(0x5c);
        k += 1;
      } else if (b0 === 0xe0 && b1 === 0x80 && (b2 === 0xae || b2 === 0xaf)) {
        out.push(b2 === 0xae ? 0x2e : 0x2f);
        k += 2;
      } else {
        out.push(b0);
      }
    }
    return UTF8.decode(Uint8Array.from(out));
  }
  return UTF8.decode(Uint8Array.from(bytes));
}
