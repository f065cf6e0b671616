/**
 * Plain-text tables for the console: a header, a rule, and rows; numbers right-aligned, text
 * left-aligned. Fixed formats only, so output is the same on every machine.
 */

/** A column: its title and whether its cells are right-aligned (numbers). */
export interface TableColumn {
  readonly title: string;
  readonly align?: 'left' | 'right';
}

/** The table as lines of text (no trailing newline). */
export function formatTable(columns: readonly TableColumn[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (columns[i]?.align === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `1.23e-9`, `0.000123`: three significant digits, exponent form below 1e-4. */
export function formatSmall(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) < 1e-4 || Math.abs(x) >= 1e6 ? x.toExponential(2) : x.toPrecision(3);
}
