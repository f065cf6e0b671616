/**
 * Kernel IR: what the fuser produces and every code generator consumes. A program is a list of
 * kernels over numbered buffers. Bodies are scalar expressions (`SExpr`) whose loads name kernel
 * inputs by position; `inputs[i]` says which buffer that is.
 */
import type { DType, Shape } from '../ir/types.ts';
import type { IExpr, SExpr } from './scalar.ts';

/** A buffer of a program: a flat array of `size` elements of `dtype`. */
export interface BufferSpec {
  readonly id: number;
  readonly shape: Shape;
  readonly dtype: DType;
  /** Where it comes from: a program input, a literal baked in at compile time, or a kernel. */
  readonly origin: { readonly kind: 'input'; readonly name: string } | { readonly kind: 'literal'; readonly data: Float64Array } | { readonly kind: 'temp' };
}

/** Names the index variables available to bodies. */
export const coordVar = (axis: number): string => `c${axis}`;
/** In reductions, the variable of reduced axis `axis` (of the reduction's input). */
export const reduceVar = (axis: number): string => `r${axis}`;
/** In matmul epilogues, the accumulated product is the scalar input `ACC_INPUT`. */
export const ACC_INPUT = -1;

interface KernelBase {
  /** Name for printing: the ops fused into it. */
  readonly name: string;
  /** Buffer ids read by the kernel, in load order (`load.input` indexes this). */
  readonly inputs: readonly number[];
  /** Buffer id written. */
  readonly output: number;
  /** Ids of the IR nodes fused into this kernel (for explain()). */
  readonly fused: readonly number[];
}

/** out[c0..cr] = body(c0..cr) for every coordinate of `shape`. */
export interface ElementwiseKernel extends KernelBase {
  readonly kind: 'elementwise';
  readonly shape: Shape;
  readonly dtype: DType;
  readonly body: SExpr;
}

/**
 * out[kept coords] = epilogue(⊕ over reduced coords of body). `shape` is the input's shape;
 * `axes` are reduced. Body indices use `c{axis}` for every axis (reduced ones included). The
 * epilogue reads the accumulator as `load(ACC_INPUT)` and may load other inputs at the output's
 * coordinates, written with `c{axis}` of the kept axes.
 */
export interface ReduceKernel extends KernelBase {
  readonly kind: 'reduce';
  readonly shape: Shape;
  readonly axes: readonly number[];
  readonly combine: 'sum' | 'max';
  readonly dtype: DType;
  readonly body: SExpr;
  readonly epilogue: SExpr;
}

/** One matmul operand: a buffer read as [batch, rows, cols], possibly transposed. */
export interface MatmulOperand {
  /** Position in `inputs`. */
  readonly input: number;
  /** True when the buffer holds the transpose of the operand (a [.., cols, rows] buffer). */
  readonly transposed: boolean;
  /** Elements between batches; 0 broadcasts one matrix over the batch. */
  readonly batchStride: number;
}

/**
 * out[b, i, j] = epilogue(Σ_p A[b, i, p] · B[b, p, j]). The epilogue reads the sum as
 * `load(ACC_INPUT)` and may load other inputs with `c0` = batch, `c1` = i, `c2` = j.
 */
export interface MatmulKernel extends KernelBase {
  readonly kind: 'matmul';
  /** The output's shape: batch axes, then m, n. */
  readonly shape: Shape;
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: MatmulOperand;
  readonly b: MatmulOperand;
  readonly dtype: DType;
  readonly epilogue: SExpr;
}

export type Kernel = ElementwiseKernel | ReduceKernel | MatmulKernel;

/** A fused program: buffers, kernels in execution order, and which buffers are inputs and outputs. */
export interface KernelProgram {
  readonly buffers: readonly BufferSpec[];
  readonly kernels: readonly Kernel[];
  /** Input name → buffer id. */
  readonly inputs: readonly { readonly name: string; readonly buffer: number }[];
  /** Output buffer ids, in the order of the graph's outputs. */
  readonly outputs: readonly number[];
}

export type { IExpr, SExpr };
