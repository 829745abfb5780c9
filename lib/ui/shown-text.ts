// Untrusted text (VM, thread, task and host names; messages and fixes that quote them) as shown
// on a page. A name comes from whoever started the VM (`-name guest=...`, a libvirt domain, a
// thread's comm), so it may hold control characters, invisible format characters or bidi
// overrides (U+202E) that would hide part of it or reorder the text around it (a "Trojan
// source" name that reads as another VM's). Shown, each such character is made visible: C0
// controls as their control pictures (␀-␟, ␡ for DEL), every other one as ⟨U+XXXX⟩. Pages put
// names in <bdi> (components/shown-name.tsx) so a right-to-left name stays inside its box.

/**
 * Characters never shown as they are: C0 and C1 controls, DEL, soft hyphen, Arabic letter mark,
 * Mongolian vowel separator, zero-width and direction marks (U+200B-U+200F), line and paragraph
 * separators and the bidi embeddings and overrides (U+2028-U+202E), word joiner and invisible
 * operators (U+2060-U+2064), bidi isolates and deprecated format controls (U+2066-U+206F), the
 * byte order mark, interlinear annotation controls (U+FFF9-U+FFFB), and tag characters.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;

function shown(ch: string): string {
  const c = ch.codePointAt(0) ?? 0;
  if (c < 0x20) return String.fromCharCode(0x2400 + c);
  if (c === 0x7f) return '\u2421';
  return `\u27e8U+${c.toString(16).toUpperCase().padStart(4, '0')}\u27e9`;
}

/** The text with every hidden character made visible; the same string (===) when it has none. */
export function shownText(text: string): string {
  HIDDEN.lastIndex = 0;
  return HIDDEN.test(text) ? text.replace(HIDDEN, shown) : text;
}

