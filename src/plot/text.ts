/**
 * Small text helpers for SVG output: XML escaping, fixed number formatting for coordinates, and
 * an estimate of how wide a label will be. The estimate uses the advance widths of DejaVu Sans
 * (matplotlib's default font and the widest of the usual sans-serif fonts), so layouts leave
 * enough room whatever font the viewer substitutes.
 */

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}

/**
 * A coordinate with at most 2 decimals and no trailing zeros (`12.5`, `3`, `-0.25`): short,
 * deterministic output, and 0.01 px is finer than any screen.
 */
export function fmt(n: number): string {
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

// Advance widths in em of DejaVu Sans for the characters that differ most from the average.
const WIDTHS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    ' ': 0.318, '!': 0.397, '"': 0.46, "'": 0.275, '(': 0.39, ')': 0.39, '*': 0.5, '+': 0.838, ',': 0.318, '-': 0.361,
    '.': 0.318, '/': 0.337, ':': 0.337, ';': 0.337, '=': 0.838, '?': 0.531, '[': 0.39, ']': 0.39, '_': 0.5, '|': 0.337,
    '%': 0.95, '#': 0.838, '&': 0.78, '@': 1.0, '{': 0.636, '}': 0.636, '<': 0.838, '>': 0.838,
    f: 0.352, i: 0.278, j: 0.278, l: 0.278, m: 0.974, r: 0.411, s: 0.521, t: 0.392, w: 0.818, c: 0.55, z: 0.525,
    I: 0.295, J: 0.295, M: 0.863, W: 0.989, L: 0.557, F: 0.575,
    '−': 0.838, '×': 0.838, '·': 0.318, '…': 1.0, '→': 0.838,
  }),
);

/** Estimated width in pixels of `text` at `fontSize` px in DejaVu Sans. */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) {
    const w = WIDTHS.get(ch);
    if (w !== undefined) em += w;
    else if (ch >= '0' && ch <= '9') em += 0.636;
    else if (ch >= 'a' && ch <= 'z') em += 0.61;
    else if (ch >= 'A' && ch <= 'Z') em += 0.7;
    else if ('⁰¹²³⁴⁵⁶⁷⁸⁹⁻'.includes(ch)) em += 0.4;
    else if ((ch.codePointAt(0) ?? 0) >= 0x2e80) em += 1.0; // CJK and other wide scripts
    else em += 0.65;
  }
  return em * fontSize;
}

const SUPERSCRIPT: Readonly<Record<string, string>> = {
  '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻',
};

/** `10⁻⁴` for exponent -4: a power of ten as plain Unicode text (no markup, renders everywhere). */
export function powerOfTen(exponent: number): string {
  return `10${[...String(exponent)].map((c) => SUPERSCRIPT[c] ?? c).join('')}`;
}

/** Replaces ASCII hyphen-minus signs by the typographic minus (U+2212), as matplotlib does. */
export function typographicMinus(text: string): string {
  return text.replace(/-/g, '−');
}
