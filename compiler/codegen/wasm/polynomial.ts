/**
 * Polynomial fits for the transcendental functions of the WebAssembly kernels, computed in
 * float64 when a kernel is generated (no magic tables): interpolation at Chebyshev nodes, which
 * is within a small factor of the minimax polynomial, converted to monomial coefficients for
 * Horner evaluation in float32.
 */

/**
 * Coefficients c[0..degree] of the polynomial interpolating `f` at the degree+1 Chebyshev nodes
 * of [lo, hi], so that f(x) ≈ Σ c[i]·x^i there.
 */
export function chebyshevFit(f: (x: number) => number, lo: number, hi: number, degree: number): number[] {
  const n = degree + 1;
  const xs = Array.from({ length: n }, (_, i) => (lo + hi) / 2 + ((hi - lo) / 2) * Math.cos(((2 * i + 1) * Math.PI) / (2 * n)));
  // Vandermonde system V c = y, solved by Gaussian elimination with partial pivoting.
  const rows = xs.map((x) => [...Array.from({ length: n }, (_, j) => x ** j), f(x)]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(rows[r]![col]!) > Math.abs(rows[pivot]![col]!)) pivot = r;
    [rows[col], rows[pivot]] = [rows[pivot]!, rows[col]!];
    const p = rows[col]!;
    for (let r = col + 1; r < n; r++) {
      const row = rows[r]!;
      const m = row[col]! / p[col]!;
      for (let j = col; j <= n; j++) row[j] = row[j]! - m * p[j]!;
    }
  }
  const c = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const row = rows[r]!;
    let s = row[n]!;
    for (let j = r + 1; j < n; j++) s -= row[j]! * c[j]!;
    c[r] = s / row[r]!;
  }
  return c;
}

/** Half of ln 2: the range-reduced argument of exp lies in [-LN2/2, LN2/2]. */
const HALF_LN2 = Math.LN2 / 2;

/**
 * q(r) = (e^r − 1 − r)/r² = Σ r^k/(k+2)!, so that e^r = 1 + r + r²·q(r). Summed as a series
 * (exact in float64 for |r| < 1) to avoid the cancellation of the closed form near 0.
 */
function expTail(r: number): number {
  let term = 0.5;
  let sum = 0;
  for (let k = 0; k < 30; k++) {
    sum += term;
    term *= r / (k + 3);
  }
  return sum;
}

/** tanh(x)/x − 1 over x², as a function of u = x² (u > 0). */
function tanhTail(u: number): number {
  const x = Math.sqrt(u);
  return (Math.tanh(x) / x - 1) / u;
}

/** Float32 coefficients of the exp polynomial q (degree 5, ≈1e-9 below float32 rounding). */
export const expCoefficients: readonly number[] = chebyshevFit(expTail, -HALF_LN2 - 1e-3, HALF_LN2 + 1e-3, 5).map(
  Math.fround,
);

/** Below this |x|, tanh is evaluated as x + x·u·g(u) (u = x²); above it from exp. */
export const TANH_SMALL = 0.55;

/** Float32 coefficients of the tanh polynomial g on u ∈ [0, TANH_SMALL²] (degree 6). */
export const tanhCoefficients: readonly number[] = chebyshevFit(tanhTail, 0, TANH_SMALL * TANH_SMALL, 6).map(
  Math.fround,
);

/**
 * Coefficients of the log series 2·atanh(s) = 2s + s·z·Σ c_k z^k (z = s², |s| ≤ 0.1716):
 * c_k = 2/(2k+3), truncated where the next term is below 1e-9 relative.
 */
export const logCoefficients: readonly number[] = [2 / 3, 2 / 5, 2 / 7, 2 / 9].map(Math.fround);
