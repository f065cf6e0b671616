import type { AttrMap, Node, Prim } from '../ir/node.ts';
import type { DType, Shape } from '../ir/types.ts';
import type { IExpr, SExpr } from '../kernel/scalar.ts';

/** A tensor value in the reference evaluator: float64 storage for every dtype (exact for i32 and bool). */
export interface RefValue {
  readonly data: Float64Array;
  readonly shape: Shape;
}

/** What a reference-evaluation rule receives. */
export interface EvalCtx<P extends Prim> {
  readonly node: Node<P>;
  readonly args: readonly RefValue[];
  /** Values bound to `input` nodes by name. */
  readonly env: ReadonlyMap<string, RefValue>;
}

/** What a scalar lowering receives: its arguments already lowered at the same output element. */
export interface LowerCtx<P extends Prim> {
  readonly node: Node<P>;
  readonly args: readonly SExpr[];
  /** The output element's coordinate on each axis. */
  readonly coords: readonly IExpr[];
  /** The output element's flat row-major index. */
  readonly flat: IExpr;
  /** Loads argument `i` at explicit coordinates (for arguments not of the output's shape, e.g. a random key). */
  readonly loadArgAt: (i: number, coords: readonly IExpr[]) => SExpr;
}

/**
 * A cotangent per argument; `null` where the argument is not differentiable (integer data,
 * comparison operands, random keys).
 */
export type Cotangents = readonly (Node | null)[];

/** The rules every primitive has. */
export interface PrimitiveRules<P extends Prim> {
  /** How code generation treats it. */
  readonly kind: 'leaf' | 'elementwise' | 'movement' | 'reduce' | 'contract' | 'gather';
  /** Shape rule: the output shape, or a ShapeError. Leaves take their shape from the builder. */
  readonly shape: (args: readonly Node[], attrs: AttrMap[P]) => Shape;
  /** Dtype rule: the output dtype, or a DTypeError. */
  readonly dtype: (args: readonly Node[], attrs: AttrMap[P]) => DType;
  /**
   * Reference evaluation in float64. The evaluator rounds every f32 result with Math.fround,
   * which makes the same rule the float32 reference.
   */
  readonly evaluate: (ctx: EvalCtx<P>) => Float64Array;
  /** VJP rule: cotangents of the arguments given the output's cotangent `g`, built from IR nodes. */
  readonly vjp: (g: Node, node: Node<P>) => Cotangents;
}

/** Elementwise primitives also lower to the scalar kernel language. */
export interface ElementwiseRules<P extends Prim> extends PrimitiveRules<P> {
  readonly kind: 'elementwise';
  readonly lower: (ctx: LowerCtx<P>) => SExpr;
}

/** Which primitives are elementwise: these must have a scalar lowering. */
export type ElementwisePrim =
  | 'constant' | 'iota'
  | 'neg' | 'recip' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'pow' | 'cast' | 'stopGradient'
  | 'add' | 'mul' | 'maximum' | 'gt' | 'ge' | 'eq' | 'where'
  | 'randomUniform' | 'randomNormal';

/** The rule set a primitive must provide. */
export type PrimitiveDef<P extends Prim> = P extends ElementwisePrim ? ElementwiseRules<P> : PrimitiveRules<P>;

/** The table type: one entry per primitive, each with every rule its kind needs. */
export type PrimitiveTable = { readonly [P in Prim]: PrimitiveDef<P> };
