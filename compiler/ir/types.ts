/** Element types. Integers and booleans exist for labels, indices, masks and comparisons. */
export type DType = 'f32' | 'f64' | 'i32' | 'bool';

/** A concrete shape: the size of each axis, outermost first. `[]` is a scalar. */
export type Shape = readonly number[];

export const isFloat = (d: DType): boolean => d === 'f32' || d === 'f64';

export const sizeOf = (shape: Shape): number => {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
};

export const sameShape = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export const showShape = (s: Shape): string => `[${s.join(', ')}]`;

/** Row-major strides of a shape, in elements. */
export function stridesOf(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i]!;
  }
  return st;
}

/**
 * A shape mismatch, found when a graph is built. It names the primitive, the shapes involved
 * and the axis, and carries the user-code location where the offending tensor was made.
 */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
  constructor(
    readonly primitive: string,
    readonly shapes: readonly Shape[],
    readonly axis: number | undefined,
    detail: string,
  ) {
    super(
      `${primitive}: ${detail} (shapes ${shapes.map(showShape).join(' and ')}` +
        `${axis === undefined ? '' : `, axis ${axis}`})${userFrame()}`,
    );
  }
}

/** A dtype mismatch when a graph is built. */
export class DTypeError extends Error {
  override readonly name = 'DTypeError';
  constructor(readonly primitive: string, detail: string) {
    super(`${primitive}: ${detail}${userFrame()}`);
  }
}

/** The first stack frame outside fusegrad's own compiler/ and src/ folders, if any. */
function userFrame(): string {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const line of stack) {
    if (/[/\\](compiler|src|runtime)[/\\]/.test(line) || line.includes('node:')) continue;
    const m = /\(?([^()\s]+:\d+:\d+)\)?\s*$/.exec(line);
    if (m?.[1] !== undefined) return ` at ${m[1]}`;
  }
  return '';
}
