/**
 * A minimal, typed WebAssembly binary encoder: enough of the MVP, SIMD and relaxed-SIMD
 * instruction sets to write fusegrad's CPU kernels from TypeScript without an external
 * assembler (wabt/binaryen add megabytes; a kernel module encodes in well under a millisecond).
 *
 * Code is written as a stack machine through a {@link Code} builder whose method groups mirror
 * the text format (`c.i32.add()`, `c.f32x4.mul()`, `c.v128.load(16)`). Locals are typed handles,
 * control flow takes callbacks and labels, so branch depths are computed, never hand-counted.
 *
 * @example
 * const mod = new ModuleBuilder();
 * mod.importMemory('env', 'memory', { initial: 1, maximum: 16, shared: true });
 * mod.func({ name: 'double', params: ['i32'], results: [] }, (c, [p]) => {
 *   c.get(p); c.get(p); c.f32.load(); c.f32.const(2); c.f32.mul(); c.f32.store();
 * });
 * const bytes = mod.encode();
 */

/** Value types this encoder supports. */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const valTypeCode: { readonly [T in ValType]: number } = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/** A typed local variable (parameters are locals too). */
export interface Local<T extends ValType = ValType> {
  readonly index: number;
  readonly type: T;
}

/** A branch target handed to the body of `block`, `loop` or `if`. */
export interface Label {
  readonly id: number;
}

/** A function of the module being built, for `call`. */
export interface FuncRef {
  readonly index: number;
  readonly name: string | undefined;
}

/** Locals for a parameter tuple, element by element. */
export type ParamLocals<P extends readonly ValType[]> = { readonly [I in keyof P]: Local<P[I]> };

/** A function signature, plus an optional export name. */
export interface FuncSignature<P extends readonly ValType[]> {
  /** Exported under this name when given. */
  readonly name?: string;
  readonly params: P;
  readonly results: readonly ValType[];
}

/** Limits of a linear memory, in 64 KiB pages. */
export interface MemoryLimits {
  readonly initial: number;
  readonly maximum?: number;
  readonly shared?: boolean;
}

/** Byte sink with the LEB128 and IEEE encodings the binary format uses. */
export class ByteWriter {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  byte(b: number): this {
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = b & 0xff;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.byte(bs[i] ?? 0);
    return this;
  }

  /** Unsigned LEB128 of a value in [0, 2^32). */
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
    let x = v;
    do {
      let b = x % 128;
      x = Math.floor(x / 128);
      if (x !== 0) b |= 0x80;
      this.byte(b);
    } while (x !== 0);
    return this;
  }

  /** Signed LEB128 of a value in [-2^31, 2^32) (values ≥ 2^31 are written as their i32 bit pattern). */
  s32(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new RangeError(`i32 out of range: ${v}`);
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  f32(v: number): this {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, v, true);
    return this.bytes(new Uint8Array(dv.buffer));
  }

  f64(v: number): this {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, v, true);
    return this.bytes(new Uint8Array(dv.buffer));
  }

  /** A UTF-8 name, length-prefixed. */
  name(s: string): this {
    const utf8 = new TextEncoder().encode(s);
    return this.u32(utf8.length).bytes(utf8);
  }

  /** Length-prefixed copy of another writer's bytes. */
  sized(inner: ByteWriter): this {
    return this.u32(inner.length).bytes(inner.finish());
  }

  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.len);
  }
}

/** Natural alignment (log2 of bytes) of each memory access width. */
type Align = 0 | 1 | 2 | 3 | 4;

const SIMD = 0xfd;

/**
 * The instruction builder for one function body. Each method appends one instruction; the
 * caller is responsible for the stack discipline, and `WebAssembly.validate` is the checker.
 */
export class Code {
  private readonly w = new ByteWriter();
  private readonly localTypes: ValType[] = [];
  private readonly labels: number[] = [];
  private nextLabel = 0;

  constructor(readonly paramTypes: readonly ValType[]) {}

  /** The local for parameter `i`. */
  param<T extends ValType>(i: number, type: T): Local<T> {
    if (this.paramTypes[i] !== type) throw new TypeError(`parameter ${i} is not ${type}`);
    return { index: i, type };
  }

  /** Declares a fresh local of the given type, initialised to zero. */
  local<T extends ValType>(type: T): Local<T> {
    this.localTypes.push(type);
    return { index: this.paramTypes.length + this.localTypes.length - 1, type };
  }

  get(l: Local): this {
    this.w.byte(0x20).u32(l.index);
    return this;
  }

  set(l: Local): this {
    this.w.byte(0x21).u32(l.index);
    return this;
  }

  tee(l: Local): this {
    this.w.byte(0x22).u32(l.index);
    return this;
  }

  // ---- control ----

  /** `block ... end`; `br(label)` inside jumps past the end. */
  block(body: (exit: Label) => void): this {
    return this.structured(0x02, body);
  }

  /** `loop ... end`; `br(label)` inside jumps back to the start. */
  loop(body: (again: Label) => void): this {
    return this.structured(0x03, body);
  }

  /** `if ... else ... end` on the i32 on top of the stack (no results). */
  if(then: (exit: Label) => void, otherwise?: (exit: Label) => void): this {
    const id = this.nextLabel++;
    this.w.byte(0x04).byte(0x40);
    this.labels.push(id);
    then({ id });
    if (otherwise) {
      this.w.byte(0x05);
      otherwise({ id });
    }
    this.labels.pop();
    this.w.byte(0x0b);
    return this;
  }

  br(label: Label): this {
    this.w.byte(0x0c).u32(this.depth(label));
    return this;
  }

  brIf(label: Label): this {
    this.w.byte(0x0d).u32(this.depth(label));
    return this;
  }

  return(): this {
    this.w.byte(0x0f);
    return this;
  }

  call(f: FuncRef): this {
    this.w.byte(0x10).u32(f.index);
    return this;
  }

  drop(): this {
    this.w.byte(0x1a);
    return this;
  }

  /** `select`: picks the first of two values when the i32 on top is non-zero. */
  select(): this {
    this.w.byte(0x1b);
    return this;
  }

  unreachable(): this {
    this.w.byte(0x00);
    return this;
  }

  // ---- numeric groups ----

  readonly i32 = {
    const: (v: number): this => this.op(0x41).s32Imm(v),
    load: (offset = 0, align: Align = 2): this => this.mem(0x28, offset, align),
    store: (offset = 0, align: Align = 2): this => this.mem(0x36, offset, align),
    eqz: (): this => this.op(0x45),
    eq: (): this => this.op(0x46),
    ne: (): this => this.op(0x47),
    lt_s: (): this => this.op(0x48),
    lt_u: (): this => this.op(0x49),
    gt_s: (): this => this.op(0x4a),
    gt_u: (): this => this.op(0x4b),
    le_s: (): this => this.op(0x4c),
    le_u: (): this => this.op(0x4d),
    ge_s: (): this => this.op(0x4e),
    ge_u: (): this => this.op(0x4f),
    add: (): this => this.op(0x6a),
    sub: (): this => this.op(0x6b),
    mul: (): this => this.op(0x6c),
    div_s: (): this => this.op(0x6d),
    div_u: (): this => this.op(0x6e),
    rem_s: (): this => this.op(0x6f),
    rem_u: (): this => this.op(0x70),
    and: (): this => this.op(0x71),
    or: (): this => this.op(0x72),
    xor: (): this => this.op(0x73),
    shl: (): this => this.op(0x74),
    shr_s: (): this => this.op(0x75),
    shr_u: (): this => this.op(0x76),
    trunc_f32_s: (): this => this.op(0xa8),
    reinterpret_f32: (): this => this.op(0xbc),
  };

  readonly i64 = {
    load: (offset = 0, align: Align = 3): this => this.mem(0x29, offset, align),
    store: (offset = 0, align: Align = 3): this => this.mem(0x37, offset, align),
  };

  readonly f32 = {
    const: (v: number): this => {
      this.op(0x43).w.f32(v);
      return this;
    },
    load: (offset = 0, align: Align = 2): this => this.mem(0x2a, offset, align),
    store: (offset = 0, align: Align = 2): this => this.mem(0x38, offset, align),
    eq: (): this => this.op(0x5b),
    ne: (): this => this.op(0x5c),
    lt: (): this => this.op(0x5d),
    gt: (): this => this.op(0x5e),
    le: (): this => this.op(0x5f),
    ge: (): this => this.op(0x60),
    abs: (): this => this.op(0x8b),
    neg: (): this => this.op(0x8c),
    sqrt: (): this => this.op(0x91),
    add: (): this => this.op(0x92),
    sub: (): this => this.op(0x93),
    mul: (): this => this.op(0x94),
    div: (): this => this.op(0x95),
    min: (): this => this.op(0x96),
    max: (): this => this.op(0x97),
    convert_i32_s: (): this => this.op(0xb2),
    convert_i32_u: (): this => this.op(0xb3),
    reinterpret_i32: (): this => this.op(0xbe),
  };

  readonly v128 = {
    load: (offset = 0, align: Align = 4): this => this.simdMem(0x00, offset, align),
    load32_splat: (offset = 0, align: Align = 2): this => this.simdMem(0x09, offset, align),
    store: (offset = 0, align: Align = 4): this => this.simdMem(0x0b, offset, align),
    /** Little-endian bytes of a 128-bit constant. */
    const: (bytes: ArrayLike<number>): this => {
      if (bytes.length !== 16) throw new RangeError('v128.const needs 16 bytes');
      this.simd(0x0c).w.bytes(bytes);
      return this;
    },
    not: (): this => this.simd(0x4d),
    and: (): this => this.simd(0x4e),
    andnot: (): this => this.simd(0x4f),
    or: (): this => this.simd(0x50),
    xor: (): this => this.simd(0x51),
    /** `bitselect(a, b, mask)`: bits of a where mask is 1, of b elsewhere. */
    bitselect: (): this => this.simd(0x52),
    any_true: (): this => this.simd(0x53),
    store32_lane: (lane: number, offset = 0): this => {
      this.simdMem(0x5a, offset, 2).w.byte(lane);
      return this;
    },
    store64_lane: (lane: number, offset = 0): this => {
      this.simdMem(0x5b, offset, 3).w.byte(lane);
      return this;
    },
    load32_zero: (offset = 0): this => this.simdMem(0x5c, offset, 2),
    load64_zero: (offset = 0): this => this.simdMem(0x5d, offset, 3),
  };

  readonly i8x16 = {
    /** Picks 16 bytes out of the 32 bytes of two vectors. */
    shuffle: (lanes: ArrayLike<number>): this => {
      if (lanes.length !== 16) throw new RangeError('i8x16.shuffle needs 16 lane indices');
      for (let i = 0; i < 16; i++) {
        const l = lanes[i] ?? -1;
        if (!(l >= 0 && l < 32)) throw new RangeError(`bad shuffle lane ${l}`);
      }
      this.simd(0x0d).w.bytes(lanes);
      return this;
    },
  };

  readonly i32x4 = {
    splat: (): this => this.simd(0x11),
    const: (a: number, b: number, c: number, d: number): this => {
      const bytes = new Uint8Array(new Int32Array([a, b, c, d]).buffer);
      return this.v128.const(bytes);
    },
    eq: (): this => this.simd(0x37),
    gt_s: (): this => this.simd(0x39),
    shl: (): this => this.simd(0xab),
    shr_s: (): this => this.simd(0xac),
    shr_u: (): this => this.simd(0xad),
    add: (): this => this.simd(0xae),
    sub: (): this => this.simd(0xb1),
    trunc_sat_f32x4_s: (): this => this.simd(0xf8),
  };

  readonly f32x4 = {
    splat: (): this => this.simd(0x13),
    const: (a: number, b: number, c: number, d: number): this => {
      const bytes = new Uint8Array(new Float32Array([a, b, c, d]).buffer);
      return this.v128.const(bytes);
    },
    /** Picks 4 floats out of the 8 floats of two vectors (indices 0..7). */
    shuffle: (lanes: readonly [number, number, number, number]): this => {
      const bytes: number[] = [];
      for (const l of lanes) for (let b = 0; b < 4; b++) bytes.push(l * 4 + b);
      return this.i8x16.shuffle(bytes);
    },
    extract_lane: (lane: number): this => {
      this.simd(0x1f).w.byte(lane);
      return this;
    },
    eq: (): this => this.simd(0x41),
    ne: (): this => this.simd(0x42),
    lt: (): this => this.simd(0x43),
    gt: (): this => this.simd(0x44),
    le: (): this => this.simd(0x45),
    ge: (): this => this.simd(0x46),
    ceil: (): this => this.simd(0x67),
    floor: (): this => this.simd(0x68),
    trunc: (): this => this.simd(0x69),
    nearest: (): this => this.simd(0x6a),
    abs: (): this => this.simd(0xe0),
    neg: (): this => this.simd(0xe1),
    sqrt: (): this => this.simd(0xe3),
    add: (): this => this.simd(0xe4),
    sub: (): this => this.simd(0xe5),
    mul: (): this => this.simd(0xe6),
    div: (): this => this.simd(0xe7),
    min: (): this => this.simd(0xe8),
    max: (): this => this.simd(0xe9),
    /** Pseudo-min `b < a ? b : a` (differs from `min` only on NaN and signed zeros). */
    pmin: (): this => this.simd(0xea),
    /** Pseudo-max `a < b ? b : a` (differs from `max` only on NaN and signed zeros). */
    pmax: (): this => this.simd(0xeb),
    convert_i32x4_s: (): this => this.simd(0xfa),
    /** Relaxed SIMD `a * b + c`, fused or not depending on the hardware. */
    relaxed_madd: (): this => this.simd(0x105),
    /** Relaxed SIMD `-(a * b) + c`. */
    relaxed_nmadd: (): this => this.simd(0x106),
  };

  /** The encoded body: local declarations, instructions, `end`. */
  encodeBody(): Uint8Array<ArrayBuffer> {
    if (this.labels.length !== 0) throw new Error('unclosed block');
    const out = new ByteWriter();
    const runs: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    out.u32(runs.length);
    for (const [n, t] of runs) out.u32(n).byte(valTypeCode[t]);
    out.bytes(this.w.finish());
    out.byte(0x0b);
    return out.finish();
  }

  private structured(opcode: number, body: (l: Label) => void): this {
    const id = this.nextLabel++;
    this.w.byte(opcode).byte(0x40);
    this.labels.push(id);
    body({ id });
    this.labels.pop();
    this.w.byte(0x0b);
    return this;
  }

  private depth(label: Label): number {
    const at = this.labels.lastIndexOf(label.id);
    if (at < 0) throw new Error('branch to a label that is not in scope');
    return this.labels.length - 1 - at;
  }

  private op(opcode: number): this {
    this.w.byte(opcode);
    return this;
  }

  private s32Imm(v: number): this {
    this.w.s32(v);
    return this;
  }

  private mem(opcode: number, offset: number, align: Align): this {
    this.w.byte(opcode).u32(align).u32(offset);
    return this;
  }

  private simd(opcode: number): this {
    this.w.byte(SIMD).u32(opcode);
    return this;
  }

  private simdMem(opcode: number, offset: number, align: Align): this {
    this.w.byte(SIMD).u32(opcode).u32(align).u32(offset);
    return this;
  }
}

interface FuncEntry {
  readonly typeIndex: number;
  readonly exportName: string | undefined;
  code: Code | undefined;
}

interface MemoryImport {
  readonly module: string;
  readonly name: string;
  readonly limits: MemoryLimits;
}

/** Builds a module: one imported memory, functions, exports. */
export class ModuleBuilder {
  private readonly types: string[] = [];
  private readonly typeBytes: Uint8Array[] = [];
  private readonly funcs: FuncEntry[] = [];
  private memory: MemoryImport | undefined;

  /** Imports a linear memory (at most one); shared memories need a maximum. */
  importMemory(module: string, name: string, limits: MemoryLimits): this {
    if (this.memory) throw new Error('a module imports at most one memory');
    if (limits.shared && limits.maximum === undefined) throw new Error('a shared memory needs a maximum');
    this.memory = { module, name, limits };
    return this;
  }

  /** Declares a function now (so others can call it) and defines its body later with {@link define}. */
  declare<const P extends readonly ValType[]>(sig: FuncSignature<P>): FuncRef & { readonly sig: FuncSignature<P> } {
    const typeIndex = this.typeIndex(sig.params, sig.results);
    this.funcs.push({ typeIndex, exportName: sig.name, code: undefined });
    return { index: this.funcs.length - 1, name: sig.name, sig };
  }

  /** Defines the body of a declared function. */
  define<const P extends readonly ValType[]>(
    ref: FuncRef & { readonly sig: FuncSignature<P> },
    body: (c: Code, params: ParamLocals<P>) => void,
  ): FuncRef {
    const entry = this.funcs[ref.index];
    if (!entry) throw new Error(`no function ${ref.index}`);
    if (entry.code) throw new Error(`function ${ref.name ?? ref.index} defined twice`);
    const c = new Code(ref.sig.params);
    const params = ref.sig.params.map((t, i) => c.param(i, t));
    body(c, paramLocals(params, ref.sig.params));
    entry.code = c;
    return ref;
  }

  /** Declares and defines a function in one step. */
  func<const P extends readonly ValType[]>(
    sig: FuncSignature<P>,
    body: (c: Code, params: ParamLocals<P>) => void,
  ): FuncRef {
    return this.define(this.declare(sig), body);
  }

  /** The module's binary. */
  encode(): Uint8Array<ArrayBuffer> {
    const out = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, fill: (s: ByteWriter) => void): void => {
      const s = new ByteWriter();
      fill(s);
      out.byte(id).sized(s);
    };
    section(1, (s) => {
      s.u32(this.typeBytes.length);
      for (const t of this.typeBytes) s.bytes(t);
    });
    const mem = this.memory;
    if (mem) {
      section(2, (s) => {
        s.u32(1).name(mem.module).name(mem.name).byte(0x02);
        const { initial, maximum, shared } = mem.limits;
        if (maximum === undefined) s.byte(0x00).u32(initial);
        else s.byte(shared ? 0x03 : 0x01).u32(initial).u32(maximum);
      });
    }
    section(3, (s) => {
      s.u32(this.funcs.length);
      for (const f of this.funcs) s.u32(f.typeIndex);
    });
    const exported = this.funcs.flatMap((f, i) => (f.exportName === undefined ? [] : [[f.exportName, i] as const]));
    section(7, (s) => {
      s.u32(exported.length);
      for (const [name, i] of exported) s.name(name).byte(0x00).u32(i);
    });
    section(10, (s) => {
      s.u32(this.funcs.length);
      this.funcs.forEach((f, i) => {
        if (!f.code) throw new Error(`function ${f.exportName ?? i} declared but never defined`);
        const body = f.code.encodeBody();
        s.u32(body.length).bytes(body);
      });
    });
    return out.finish();
  }

  private typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}->${results.join(',')}`;
    const found = this.types.indexOf(key);
    if (found >= 0) return found;
    const w = new ByteWriter().byte(0x60).u32(params.length);
    for (const p of params) w.byte(valTypeCode[p]);
    w.u32(results.length);
    for (const r of results) w.byte(valTypeCode[r]);
    this.types.push(key);
    this.typeBytes.push(w.finish());
    return this.types.length - 1;
  }
}

/** The parameter locals, typed as the tuple the signature promises. */
function paramLocals<P extends readonly ValType[]>(locals: readonly Local[], types: P): ParamLocals<P> {
  if (locals.some((l, i) => l.type !== types[i])) throw new Error('parameter locals do not match the signature');
  // Sound: locals[i] was built by Code.param(i, types[i]) and checked above.
  return locals as ParamLocals<P>;
}
