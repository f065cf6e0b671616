import { idivCall, imodCall, integerFunctions } from './integer.ts';
import type { GpujsArg, GpujsDialect, GpujsFunction, GpujsKernelSource, GpujsValueType } from './source.ts';
import { isGpujsIdentifier, mergeFunctions, rowMajorStrides, shapeSize } from './source.ts';

/** One array input of an elementwise kernel; its shape broadcasts against the output shape. */
export interface ElementwiseInput {
  readonly name: string;
  readonly shape: readonly number[];
}

/** A scalar argument (e.g. a learning rate, or a random key word). */
export interface ElementwiseScalar {
  readonly name: string;
  readonly type: GpujsValueType;
}

export interface ElementwiseSpec {
  readonly name: string;
  readonly outShape: readonly number[];
  readonly inputs: readonly ElementwiseInput[];
  readonly scalars?: readonly ElementwiseScalar[];
  /**
   * The scalar body as a gpu.js expression. `values[i]` names a float local holding input i's
   * element; `index` is the flat output index (an exact integer expression, usable as a random
   * counter or iota). Scalars are referred to by name.
   */
  readonly body: (values: readonly string[], index: string) => string;
  /** Extra helper/native functions the body calls (e.g. `randomFunctions(dialect)`). */
  readonly functions?: readonly GpujsFunction[];
}

/** The flat output index of a one-dimensional kernel. */
const FLAT_INDEX = 'this.thread.x';

interface CollapsedLayout {
  /** Output dims after dropping 1s and merging runs that every input walks contiguously. */
  readonly dims: readonly number[];
  /** Per input, its element stride along each collapsed dim (0 where broadcast). */
  readonly strides: readonly (readonly number[])[];
}

/**
 * Aligns every input to the output (numpy broadcasting, trailing dims first) and merges
 * adjacent dims wherever that leaves each input's addressing unchanged, so that the common
 * cases need no division at all (same shape: the index is the thread index) or one
 * (a bias row: `i mod n`).
 */
export function collapseBroadcast(outShape: readonly number[], inputShapes: readonly (readonly number[])[]): CollapsedLayout {
  const rank = outShape.length;
  const inputStrides = inputShapes.map((shape, which) => {
    if (shape.length > rank) throw new Error(`input ${which} has rank ${shape.length} > output rank ${rank}`);
    const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
    const strides = rowMajorStrides(padded);
    return padded.map((d, axis) => {
      const out = outShape[axis]!;
      if (d === out) return strides[axis]!;
      if (d === 1) return 0;
      throw new Error(`input ${which} of shape [${shape.join(', ')}] does not broadcast to [${outShape.join(', ')}]`);
    });
  });
  const dims: number[] = [];
  const strides: number[][] = inputShapes.map(() => []);
  for (let axis = 0; axis < rank; axis++) {
    const d = outShape[axis]!;
    if (d === 1) continue;
    const last = dims.length - 1;
    const mergeable =
      last >= 0 &&
      inputStrides.every((s, j) => {
        const prev = strides[j]![last]!;
        const cur = s[axis]!;
        return (prev === 0 && cur === 0) || (cur !== 0 && prev === cur * d);
      });
    if (mergeable) {
      dims[last] = dims[last]! * d;
      inputStrides.forEach((s, j) => (strides[j]![last] = s[axis]!));
    } else {
      dims.push(d);
      inputStrides.forEach((s, j) => strides[j]!.push(s[axis]!));
    }
  }
  return { dims, strides };
}

/**
 * The element index of one input as exact integer source over the flat output index:
 * Σ coord_k·stride_k with coord_k = (index / outStride_k) mod dim_k.
 */
export function broadcastIndexSource(index: string, dims: readonly number[], strides: readonly number[]): string {
  const outStrides = rowMajorStrides(dims);
  if (dims.length > 0 && strides.every((s, k) => s === outStrides[k])) return index;
  const terms: string[] = [];
  dims.forEach((d, k) => {
    const stride = strides[k]!;
    if (stride === 0) return;
    const quotient = idivCall(index, outStrides[k]!);
    const coord = k === 0 ? quotient : imodCall(quotient, d);
    terms.push(stride === 1 ? coord : `${coord} * ${stride}`);
  });
  return terms.length === 0 ? '0' : terms.join(' + ');
}

/**
 * An elementwise kernel over `outShape` with broadcasting done by index arithmetic.
 * One thread per output element (a 1-D output, which gpu.js folds across dispatch rows, so
 * millions of elements are fine). Each input element is loaded once into a float local.
 */
export function emitElementwise(spec: ElementwiseSpec, dialect: GpujsDialect): GpujsKernelSource {
  const scalars = spec.scalars ?? [];
  for (const name of [...spec.inputs.map((i) => i.name), ...scalars.map((s) => s.name)]) {
    if (!isGpujsIdentifier(name)) throw new Error(`${spec.name}: argument name "${name}" is not a plain identifier`);
  }
  const total = shapeSize(spec.outShape);
  const layout = collapseBroadcast(spec.outShape, spec.inputs.map((i) => i.shape));
  const values = spec.inputs.map((_, i) => `v${i}`);
  const loads = spec.inputs.map(
    (input, i) => `  const ${values[i]} = ${input.name}[${broadcastIndexSource(FLAT_INDEX, layout.dims, layout.strides[i]!)}];`,
  );
  const params = [...spec.inputs.map((i) => i.name), ...scalars.map((s) => s.name)];
  const source = [`function (${params.join(', ')}) {`, ...loads, `  return ${spec.body(values, FLAT_INDEX)};`, '}'].join('\n');
  const args: GpujsArg[] = [
    ...spec.inputs.map((i): GpujsArg => ({ kind: 'array', name: i.name, length: shapeSize(i.shape) })),
    ...scalars.map((s): GpujsArg => ({ kind: 'scalar', name: s.name, type: s.type })),
  ];
  const needsIntegers = source.includes('fgIdiv(') || source.includes('fgImod(');
  return {
    name: spec.name,
    dialect,
    source,
    args,
    output: [total],
    components: 1,
    constants: {},
    functions: mergeFunctions(needsIntegers ? integerFunctions(dialect) : [], spec.functions ?? []),
    resultShape: [...spec.outShape],
  };
}
