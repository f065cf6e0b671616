/**
 * Number and time formats for console output, fixed so that output is the same on every
 * machine and locale (no `toLocaleString`).
 */

/** `0:42`, `12:05`, `1:02:03` from seconds (rounded up, so an ETA never shows 0:00 early). */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-:--';
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** `4.21 s`, `1 min 3.4 s`, `2 h 05 min` for a duration in seconds. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${(seconds % 60).toFixed(1)} s`;
  return `${Math.floor(seconds / 3600)} h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')} min`;
}

/** A rate with a k/M suffix and 3 significant digits: `842`, `52.1k`, `1.23M`. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return '?';
  if (perSecond < 1000) return perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toPrecision(3).replace(/\.?0+$/, '');
  if (perSecond < 1e6) return `${(perSecond / 1e3).toPrecision(3)}k`;
  return `${(perSecond / 1e6).toPrecision(3)}M`;
}

/** A loss or accuracy with 4 decimals; `nan`/`inf` spelled out; exponent form when huge. */
export function formatMetric(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return Math.abs(v) >= 1e5 ? v.toExponential(3) : v.toFixed(4);
}

/** A progress bar of `width` cells for `fraction` ∈ [0, 1], with eighth-cell resolution. */
export function progressBar(fraction: number, width: number, ascii = false): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  if (ascii) {
    const full = Math.floor(f * width);
    return `${'#'.repeat(full)}${'-'.repeat(width - full)}`;
  }
  const eighths = Math.floor(f * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = eighths % 8;
  const partials = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
  const rest = width - full - (partial > 0 ? 1 : 0);
  return `${'█'.repeat(full)}${partials[partial] ?? ''}${' '.repeat(Math.max(0, rest))}`;
}
