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

// fusegrad's own folders, as absolute path prefixes: frames inside them are not the user's code.
// (Matching any `/src/` would skip a user's own `src/model.ts`.)
const ownRoot = decodeURIComponent(new URL('../../', import.meta.url).pathname).replace(/^\/([A-Za-z]:)/, '$1');
const ownFolders = ['compiler/', 'src/', 'runtime/'].map((f) => ownRoot + f);

/** The first stack frame outside fusegrad's own compiler/, src/ and runtime/ folders and node_modules, if any. */
function userFrame(): string {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const raw of stack) {
    const line = raw.replace(/\\/g, '/').replace('file://', '');
    if (ownFolders.some((f) => line.includes(f)) || line.includes('/node_modules/') || line.includes('node:')) continue;
    const m = /\(?([^()\s]+:\d+:\d+)\)?\s*$/.exec(raw);
    if (m?.[1] !== undefined) return ` at ${m[1]}`;
  }
  return '';
}
