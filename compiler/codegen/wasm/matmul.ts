/**
 * Generates the WebAssembly SIMD matrix product `C = op(A)·op(B)` (or `C += ...`), float32,
 * with packed panels and a register-blocked micro-kernel (BLIS-style loop nest, all in wasm).
 *
 * - Micro-tile MR×NR of f32x4 accumulators sized to V8's register file (see {@link microTile}):
 *   5×8 with relaxed-SIMD `f32x4.relaxed_madd`, 2×16 with mul+add. A tile that does not fit
 *   spills accumulators and loses half its speed.
 * - The k loop is not unrolled: unrolling multiplies the loads V8 hoists, hence the spills.
 * - A is packed into MR-row panels laid out `[k][MR]`, B into NR-column panels `[k][NR]`, so
 *   every access in the micro-kernel is a static offset from two advancing pointers; packing
 *   with the right strides is all the transposed forms need.
 * - Edge tiles (M or N not a multiple of the tile) are computed in full on zero-padded panels,
 *   then only their valid part is written back.
 *
 * The exported `matmul` computes the block of C with rows `[m0, m1)` and columns `[n0, n1)`,
 * so a thread pool splits the work by giving each thread its own rows or columns.
 */

import { type Code, type FuncRef, type Local, ModuleBuilder } from './encoder.ts';

/** Bits of the `flags` argument of the exported `matmul`. */
export const MatmulFlags = { transA: 1, transB: 2, accumulate: 4 } as const;

/** Which micro-kernel to build. */
export interface MatmulVariant {
  /** Use relaxed-SIMD fused multiply-add; otherwise f32x4 mul+add. */
  readonly fma: boolean;
}

/**
 * The register tile of a variant: mr rows × nr columns of C held in mr·nr/4 f32x4 accumulators.
 * `aFromVector`: rows 0..3 of A are splatted by shuffles of one vector load (row 4 by a
 * broadcast load), rather than one broadcast load per row.
 */
export interface MicroTile {
  readonly mr: number;
  readonly nr: number;
  readonly aFromVector: boolean;
}

/**
 * V8 (TurboFan, Node 20) keeps every wasm memory load in program order on its effect chain and
 * schedules pure arithmetic as late as possible, so all loads of a k step are issued before its
 * first multiply and every loaded value occupies a register at once. A tile fits the 15
 * allocatable SIMD registers only if accumulators + loaded values + temporaries ≤ 15:
 * - FMA 5×8: 10 accumulators + 2 B + 1 A vector + 1 A broadcast + 1 splat = 15 (6×8 needs 17);
 * - mul+add 2×16: 8 accumulators + 4 B + 2 A broadcasts + 1 product = 15, and no shuffles
 *   competing with the multipliers for vector ports.
 */
export function microTile(variant: MatmulVariant): MicroTile {
  return variant.fma ? { mr: 5, nr: 8, aFromVector: true } : { mr: 2, nr: 16, aFromVector: false };
}

/** Cache blocking in elements: A blocks are mc×kc (L2), B blocks kc×nc, micro-panels in L1. */
export interface MatmulBlocking {
  readonly tile: MicroTile;
  readonly mc: number;
  readonly kcMax: number;
  readonly nc: number;
}

/** The blocking used for a variant. */
export function matmulBlocking(variant: MatmulVariant): MatmulBlocking {
  const tile = microTile(variant);
  return { tile, mc: tile.mr * Math.ceil(120 / tile.mr), kcMax: 256, nc: 1024 };
}

/** Bytes of per-thread scratch the exported `matmul` needs (packed A, packed B, an edge tile). */
export function matmulScratchBytes(variant: MatmulVariant): number {
  const { tile, mc, kcMax, nc } = matmulBlocking(variant);
  return 4 * (mc * kcMax + kcMax * nc + tile.mr * tile.nr);
}

/** Parameter order of the exported `matmul` (all i32; addresses in bytes, strides in elements). */
export const matmulParams = [
  'm0',
  'm1',
  'n0',
  'n1',
  'k',
  'a',
  'lda',
  'b',
  'ldb',
  'c',
  'ldc',
  'flags',
  'scratch',
  'batch',
  'strideA',
  'strideB',
  'strideC',
] as const;

const i32x11 = ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const;

/**
 * Parameter order of the exported `packA`: packs rows `[m0, m1)` of op(A) (m×k; m0 a multiple
 * of MR) into their place in the packing of all of op(A) at `dst` ({@link packedAFloats}
 * floats), the layout `matmulPacked` reads. Threads may pack disjoint row ranges at once.
 */
export const packAParams = ['m0', 'm1', 'm', 'k', 'a', 'lda', 'flags', 'dst'] as const;

/**
 * Parameter order of the exported `matmulPacked`: columns `[n0, n1)` of C = op(A)·op(B) (or
 * +=), with op(A) packed beforehand by `packA` at `ap` (flags: transB, accumulate). Threads
 * share one packed A and each packs only its own columns of B: the form for handing out
 * column chunks dynamically.
 */
export const matmulPackedParams = ['n0', 'n1', 'm', 'k', 'ap', 'b', 'ldb', 'c', 'ldc', 'flags', 'scratch'] as const;

/** Floats of a packed op(A) of m×k: rows rounded up to whole MR-row panels. */
export function packedAFloats(variant: MatmulVariant, m: number, k: number): number {
  const { mr } = microTile(variant);
  return Math.ceil(m / mr) * mr * k;
}

const i32x17 = [
  'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32',
  'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32',
] as const;

/**
 * The module binary: imports `env.memory` (shared, 32-bit) and exports
 * `matmul(m0, m1, n0, n1, k, a, lda, b, ldb, c, ldc, flags, scratch, batch, strideA, strideB, strideC)`.
 * Element (i, p) of op(A) is at `a + 4*(transA ? p*lda + i : i*lda + p)`, likewise B; C is
 * row-major with row stride ldc. `batch ≥ 1` products follow each other at element strides
 * strideA/B/C. Needs `k ≥ 1`, `m0 < m1`, `n0 < n1`, and `scratch` pointing at
 * {@link matmulScratchBytes} bytes that no other thread uses.
 */
export function buildMatmulModule(variant: MatmulVariant, memory: { initial: number; maximum: number }): Uint8Array<ArrayBuffer> {
  const bl = matmulBlocking(variant);
  const { mr, nr } = bl.tile;
  const mod = new ModuleBuilder();
  mod.importMemory('env', 'memory', { initial: memory.initial, maximum: memory.maximum, shared: true });

  const i32x6 = ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const;
  const packA = mod.func({ params: i32x6, results: [] }, (c, [src, ldaB, trans, mc, kc, dst]) =>
    emitPackA(c, mr, src, ldaB, trans, mc, kc, dst),
  );
  const packB = mod.func({ params: i32x6, results: [] }, (c, [src, ldbB, trans, kc, nc, dst]) =>
    emitPackB(c, nr, src, ldbB, trans, kc, nc, dst),
  );
  const micro = mod.func(
    { params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], results: [] },
    (c, [kc, ap, bp, cp, ldcB, mrValid, nrValid, acc, ep]) =>
      emitMicroKernel(c, bl.tile, variant.fma, { kc, ap, bp, cp, ldcB, mrValid, nrValid, acc, ep }),
  );

  mod.func({ name: 'matmul', params: i32x17, results: [] }, (c, p) => {
    const [m0, m1, n0, n1, k, a, lda, b, ldb, cc, ldc, flags, scratch, batch, strideA, strideB, strideC] = p;
    const L = (): Local<'i32'> => c.local('i32');
    const ldaB = L(), ldbB = L(), ldcB = L(), transA = L(), transB = L(), accFlag = L();
    const kcStep = L(), apack = L(), bpack = L(), ep = L();
    const jc = L(), nc = L(), pc = L(), kc = L(), ic = L(), mc = L(), jr = L(), ir = L(), acc = L();

    c.get(lda).i32.const(2).i32.shl().set(ldaB);
    c.get(ldb).i32.const(2).i32.shl().set(ldbB);
    c.get(ldc).i32.const(2).i32.shl().set(ldcB);
    c.get(flags).i32.const(MatmulFlags.transA).i32.and().set(transA);
    c.get(flags).i32.const(MatmulFlags.transB).i32.and().set(transB);
    c.get(flags).i32.const(MatmulFlags.accumulate).i32.and().set(accFlag);
    emitKcStep(c, bl.kcMax, k, kcStep);
    c.get(scratch).set(apack);
    c.get(scratch).i32.const(4 * bl.mc * bl.kcMax).i32.add().set(bpack);
    c.get(bpack).i32.const(4 * bl.kcMax * bl.nc).i32.add().set(ep);

    c.loop((nextBatch) => {
      c.get(n0).set(jc);
      c.loop((nextJc) => {
        minInto(c, bl.nc, n1, jc, nc);
        c.i32.const(0).set(pc);
        c.loop((nextPc) => {
          c.get(k).get(pc).i32.sub().set(kc);
          c.get(kcStep).get(kc).get(kcStep).get(kc).i32.lt_u().select().set(kc);
          // B(pc, jc): transB ? b + jc*ldb + pc : b + pc*ldb + jc
          elementAddress(c, b, transB, pc, jc, ldbB);
          c.get(ldbB).get(transB).get(kc).get(nc).get(bpack).call(packB);
          c.get(accFlag).get(pc).i32.or().set(acc);
          c.get(m0).set(ic);
          c.loop((nextIc) => {
            minInto(c, bl.mc, m1, ic, mc);
            // A(ic, pc): transA ? a + pc*lda + ic : a + ic*lda + pc
            elementAddress(c, a, transA, ic, pc, ldaB);
            c.get(ldaB).get(transA).get(mc).get(kc).get(apack).call(packA);
            emitBlockProduct(c, mr, nr, micro, { kc, apack, bpack, cc, ic, jc, ldcB, mc, nc, acc, ep, jr, ir });
            c.get(ic).i32.const(bl.mc).i32.add().tee(ic).get(m1).i32.lt_u().brIf(nextIc);
          });
          c.get(pc).get(kc).i32.add().tee(pc).get(k).i32.lt_u().brIf(nextPc);
        });
        c.get(jc).i32.const(bl.nc).i32.add().tee(jc).get(n1).i32.lt_u().brIf(nextJc);
      });
      c.get(a).get(strideA).i32.const(2).i32.shl().i32.add().set(a);
      c.get(b).get(strideB).i32.const(2).i32.shl().i32.add().set(b);
      c.get(cc).get(strideC).i32.const(2).i32.shl().i32.add().set(cc);
      c.get(batch).i32.const(1).i32.sub().tee(batch).brIf(nextBatch);
    });
  });

  // packA(m0, m1, m, k, a, lda, flags, dst): rows [m0, m1) of op(A) (m0 a multiple of MR), k
  // block by k block, where `matmulPacked` reads them in the packing of all m rows at dst.
  mod.func({ name: 'packA', params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], results: [] }, (c, p) => {
    const [m0, m1, m, k, a, lda, flags, dst] = p;
    const ldaB = c.local('i32'), transA = c.local('i32'), kcStep = c.local('i32'), pc = c.local('i32'), kc = c.local('i32');
    const mPadB = c.local('i32'), rows = c.local('i32');
    c.get(lda).i32.const(2).i32.shl().set(ldaB);
    c.get(flags).i32.const(MatmulFlags.transA).i32.and().set(transA);
    c.get(m1).get(m0).i32.sub().set(rows);
    emitKcStep(c, bl.kcMax, k, kcStep);
    paddedRowsBytes(c, mr, m, mPadB);
    c.i32.const(0).set(pc);
    c.loop((nextPc) => {
      c.get(k).get(pc).i32.sub().set(kc);
      c.get(kcStep).get(kc).get(kcStep).get(kc).i32.lt_u().select().set(kc);
      elementAddress(c, a, transA, m0, pc, ldaB); // A(m0, pc)
      c.get(ldaB).get(transA).get(rows).get(kc);
      // panels of rows [m0, m1) in k block pc: dst + pc·mPadB + 4·m0·kc
      c.get(dst).get(pc).get(mPadB).i32.mul().i32.add().get(m0).get(kc).i32.mul().i32.const(2).i32.shl().i32.add();
      c.call(packA);
      c.get(pc).get(kc).i32.add().tee(pc).get(k).i32.lt_u().brIf(nextPc);
    });
  });

  // matmulPacked(n0, n1, m, k, ap, b, ldb, c, ldc, flags, scratch): columns [n0, n1) of C from
  // an op(A) that `packA` packed at ap; only B is packed here (into this thread's scratch).
  mod.func({ name: 'matmulPacked', params: i32x11, results: [] }, (c, p) => {
    const [n0, n1, m, k, ap, b, ldb, cc, ldc, flags, scratch] = p;
    const L = (): Local<'i32'> => c.local('i32');
    const ldbB = L(), ldcB = L(), transB = L(), accFlag = L(), kcStep = L(), mPadB = L(), bpack = L(), ep = L();
    const jc = L(), nc = L(), pc = L(), kc = L(), ic = L(), mc = L(), jr = L(), ir = L(), acc = L(), apack = L();
    c.get(ldb).i32.const(2).i32.shl().set(ldbB);
    c.get(ldc).i32.const(2).i32.shl().set(ldcB);
    c.get(flags).i32.const(MatmulFlags.transB).i32.and().set(transB);
    c.get(flags).i32.const(MatmulFlags.accumulate).i32.and().set(accFlag);
    emitKcStep(c, bl.kcMax, k, kcStep);
    paddedRowsBytes(c, mr, m, mPadB);
    c.get(scratch).i32.const(4 * bl.mc * bl.kcMax).i32.add().set(bpack);
    c.get(bpack).i32.const(4 * bl.kcMax * bl.nc).i32.add().set(ep);
    c.get(n0).set(jc);
    c.loop((nextJc) => {
      minInto(c, bl.nc, n1, jc, nc);
      c.i32.const(0).set(pc);
      c.loop((nextPc) => {
        c.get(k).get(pc).i32.sub().set(kc);
        c.get(kcStep).get(kc).get(kcStep).get(kc).i32.lt_u().select().set(kc);
        elementAddress(c, b, transB, pc, jc, ldbB);
        c.get(ldbB).get(transB).get(kc).get(nc).get(bpack).call(packB);
        c.get(accFlag).get(pc).i32.or().set(acc);
        c.i32.const(0).set(ic);
        c.loop((nextIc) => {
          minInto(c, bl.mc, m, ic, mc);
          // The panels of rows [ic, ic + mc) in k block pc: ap + 4·(pc·mPad + ic·kc).
          c.get(ap).get(pc).get(mPadB).i32.mul().i32.add().get(ic).get(kc).i32.mul().i32.const(2).i32.shl().i32.add().set(apack);
          emitBlockProduct(c, mr, nr, micro, { kc, apack, bpack, cc, ic, jc, ldcB, mc, nc, acc, ep, jr, ir });
          c.get(ic).i32.const(bl.mc).i32.add().tee(ic).get(m).i32.lt_u().brIf(nextIc);
        });
        c.get(pc).get(kc).i32.add().tee(pc).get(k).i32.lt_u().brIf(nextPc);
      });
      c.get(jc).i32.const(bl.nc).i32.add().tee(jc).get(n1).i32.lt_u().brIf(nextJc);
    });
  });
  return mod.encode();
}

/** kcStep = the k block length: k split into ceil(k / kcMax) balanced blocks (784 → 4 × 196, not 3 × 256 + 16). */
function emitKcStep(c: Code, kcMax: number, k: Local<'i32'>, kcStep: Local<'i32'>): void {
  c.get(k).i32.const(kcMax - 1).i32.add().i32.const(kcMax).i32.div_u().set(kcStep); // number of blocks
  c.get(k).get(kcStep).i32.add().i32.const(1).i32.sub().get(kcStep).i32.div_u().set(kcStep);
}

/** out = 4 · ceil(m / mr) · mr: bytes per k of a packed op(A) (its last panel zero-padded). */
function paddedRowsBytes(c: Code, mr: number, m: Local<'i32'>, out: Local<'i32'>): void {
  c.get(m).i32.const(mr - 1).i32.add().i32.const(mr).i32.div_u().i32.const(4 * mr).i32.mul().set(out);
}

interface BlockLocals {
  readonly kc: Local<'i32'>;
  readonly apack: Local<'i32'>;
  readonly bpack: Local<'i32'>;
  readonly cc: Local<'i32'>;
  readonly ic: Local<'i32'>;
  readonly jc: Local<'i32'>;
  readonly ldcB: Local<'i32'>;
  readonly mc: Local<'i32'>;
  readonly nc: Local<'i32'>;
  readonly acc: Local<'i32'>;
  readonly ep: Local<'i32'>;
  readonly jr: Local<'i32'>;
  readonly ir: Local<'i32'>;
}

/**
 * The micro-kernel over a packed mc×kc block of A (at apack) and kc×nc block of B (at bpack),
 * into C(ic.., jc..). jr outside ir: the B micro-panel stays in L1 while A panels stream from L2.
 */
function emitBlockProduct(c: Code, mr: number, nr: number, micro: FuncRef, l: BlockLocals): void {
  const { kc, apack, bpack, cc, ic, jc, ldcB, mc, nc, acc, ep, jr, ir } = l;
  c.i32.const(0).set(jr);
  c.loop((nextJr) => {
    c.i32.const(0).set(ir);
    c.loop((nextIr) => {
      c.get(kc);
      c.get(apack).get(ir).get(kc).i32.mul().i32.const(2).i32.shl().i32.add();
      c.get(bpack).get(jr).get(kc).i32.mul().i32.const(2).i32.shl().i32.add();
      // C(ic + ir, jc + jr)
      c.get(cc).get(ic).get(ir).i32.add().get(ldcB).i32.mul().i32.add();
      c.get(jc).get(jr).i32.add().i32.const(2).i32.shl().i32.add();
      c.get(ldcB);
      c.get(mc).get(ir).i32.sub(); // valid rows (clamped inside the kernel)
      c.get(nc).get(jr).i32.sub(); // valid columns (clamped inside the kernel)
      c.get(acc).get(ep).call(micro);
      c.get(ir).i32.const(mr).i32.add().tee(ir).get(mc).i32.lt_u().brIf(nextIr);
    });
    c.get(jr).i32.const(nr).i32.add().tee(jr).get(nc).i32.lt_u().brIf(nextJr);
  });
}

/** out = min(limit, end - start) */
function minInto(c: Code, limit: number, end: Local<'i32'>, start: Local<'i32'>, out: Local<'i32'>): void {
  c.get(end).get(start).i32.sub().set(out);
  c.i32.const(limit).get(out).get(out).i32.const(limit).i32.gt_u().select().set(out);
}

/** Pushes the address of element (row, col) of op(X): base + 4*(trans ? col*ld + row : row*ld + col). */
function elementAddress(
  c: Code,
  base: Local<'i32'>,
  trans: Local<'i32'>,
  row: Local<'i32'>,
  col: Local<'i32'>,
  ldB: Local<'i32'>,
): void {
  c.get(base);
  c.get(col).get(ldB).i32.mul().get(row).i32.const(2).i32.shl().i32.add();
  c.get(row).get(ldB).i32.mul().get(col).i32.const(2).i32.shl().i32.add();
  c.get(trans).select().i32.add();
}

type V4 = readonly [Local<'v128'>, Local<'v128'>, Local<'v128'>, Local<'v128'>];

function v128Locals4(c: Code): V4 {
  return [c.local('v128'), c.local('v128'), c.local('v128'), c.local('v128')];
}

/**
 * Transposes four rows of four floats held in locals and stores column j at `dst + offsets[j]`:
 * t0 = (r0₀ r1₀ r0₁ r1₁), t2 = (r2₀ r3₀ r2₁ r3₁) → column 0 = (t0₀ t0₁ t2₀ t2₁), and so on.
 */
function transposeStore(c: Code, rows: V4, temps: V4, dst: Local<'i32'>, offsets: readonly number[]): void {
  const [r0, r1, r2, r3] = rows;
  const [t0, t1, t2, t3] = temps;
  const [o0 = 0, o1 = 0, o2 = 0, o3 = 0] = offsets;
  c.get(r0).get(r1).f32x4.shuffle([0, 4, 1, 5]).set(t0);
  c.get(r0).get(r1).f32x4.shuffle([2, 6, 3, 7]).set(t1);
  c.get(r2).get(r3).f32x4.shuffle([0, 4, 1, 5]).set(t2);
  c.get(r2).get(r3).f32x4.shuffle([2, 6, 3, 7]).set(t3);
  c.get(dst).get(t0).get(t2).f32x4.shuffle([0, 1, 4, 5]).v128.store(o0, 2);
  c.get(dst).get(t0).get(t2).f32x4.shuffle([2, 3, 6, 7]).v128.store(o1, 2);
  c.get(dst).get(t1).get(t3).f32x4.shuffle([0, 1, 4, 5]).v128.store(o2, 2);
  c.get(dst).get(t1).get(t3).f32x4.shuffle([2, 3, 6, 7]).v128.store(o3, 2);
}

/**
 * Packs `rows` strided vectors of four consecutive k into a `[k][width]` panel starting at
 * column `col0`: full groups of four are transposed, a pair is interleaved into 64-bit lanes,
 * a single row goes lane by lane. `load(r)` pushes the address of row r.
 */
function packFourK(
  c: Code,
  rows: number,
  width: number,
  col0: number,
  load: (r: number) => void,
  regs: V4,
  temps: V4,
  dst: Local<'i32'>,
): void {
  const step = 4 * width;
  const kOffsets = [0, step, 2 * step, 3 * step];
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    for (let x = 0; x < 4; x++) {
      load(r + x);
      c.v128.load(0, 2).set(regs[x]!);
    }
    transposeStore(c, regs, temps, dst, kOffsets.map((o) => o + 4 * (col0 + r)));
  }
  if (rows - r >= 2) {
    const [ra, rb] = regs;
    const [lo, hi] = temps;
    load(r);
    c.v128.load(0, 2).set(ra);
    load(r + 1);
    c.v128.load(0, 2).set(rb);
    c.get(ra).get(rb).f32x4.shuffle([0, 4, 1, 5]).set(lo); // (a₀ b₀ a₁ b₁): k and k+1
    c.get(ra).get(rb).f32x4.shuffle([2, 6, 3, 7]).set(hi); // (a₂ b₂ a₃ b₃): k+2 and k+3
    const at = 4 * (col0 + r);
    c.get(dst).get(lo).v128.store64_lane(0, at);
    c.get(dst).get(lo).v128.store64_lane(1, step + at);
    c.get(dst).get(hi).v128.store64_lane(0, 2 * step + at);
    c.get(dst).get(hi).v128.store64_lane(1, 3 * step + at);
    r += 2;
  }
  if (rows - r === 1) {
    const [ra] = regs;
    load(r);
    c.v128.load(0, 2).set(ra);
    for (let j = 0; j < 4; j++) c.get(dst).get(ra).v128.store32_lane(j, j * step + 4 * (col0 + r));
  }
}

/** Copies `width` contiguous floats from the address in `q` to the address in `d`. */
function copyFloats(c: Code, width: number, q: Local<'i32'>, d: Local<'i32'>): void {
  let x = 0;
  for (; x + 4 <= width; x += 4) c.get(d).get(q).v128.load(4 * x, 2).v128.store(4 * x, 2);
  for (; x < width; x++) c.get(d).get(q).f32.load(4 * x).f32.store(4 * x);
}

/**
 * Emits the packing of a `count × kc` block of a matrix into `width`-wide panels `[k][width]`
 * (count = rows of op(A), or columns of op(B)), zero-padding the last panel.
 * `contiguous` (a runtime flag) says whether one k of a panel is `width` adjacent floats
 * (`elem(i, k) = src + 4i + k·ldB`); otherwise the panel's rows are strided
 * (`elem(i, k) = src + i·ldB + 4k`) and four k at a time are transposed.
 */
function emitPack(
  c: Code,
  width: number,
  src: Local<'i32'>,
  ldB: Local<'i32'>,
  contiguous: Local<'i32'>,
  count: Local<'i32'>,
  kc: Local<'i32'>,
  dst: Local<'i32'>,
): void {
  const i0 = c.local('i32'), valid = c.local('i32'), q = c.local('i32'), d = c.local('i32'), kk = c.local('i32');
  const i = c.local('i32'), v = c.local('f32');
  const groupOff = Array.from({ length: Math.ceil(width / 4) }, () => c.local('i32'));
  const rowOff = [c.local('i32'), c.local('i32'), c.local('i32'), c.local('i32')] as const;
  const regs = v128Locals4(c), temps = v128Locals4(c);
  const step = 4 * width; // bytes per k in a panel

  groupOff.forEach((g, gi) => c.get(ldB).i32.const(4 * gi).i32.mul().set(g));
  rowOff.forEach((r, ri) => c.get(ldB).i32.const(ri).i32.mul().set(r));
  // address of strided row r of the current panel at the current k: q + rowOff
  const rowAddress = (r: number): void => {
    c.get(q).get(groupOff[Math.floor(r / 4)]!).i32.add();
    if (r % 4 !== 0) c.get(rowOff[r % 4]!).i32.add();
  };

  c.i32.const(0).set(i0);
  c.get(dst).set(d);
  c.loop((nextPanel) => {
    c.get(count).get(i0).i32.sub().set(valid);
    c.get(valid).i32.const(width).i32.ge_u().if(
      () => {
        c.get(contiguous).if(
          () => {
            c.get(src).get(i0).i32.const(2).i32.shl().i32.add().set(q);
            c.get(kc).set(kk);
            c.loop((again) => {
              copyFloats(c, width, q, d);
              c.get(q).get(ldB).i32.add().set(q);
              c.get(d).i32.const(step).i32.add().set(d);
              c.get(kk).i32.const(1).i32.sub().tee(kk).brIf(again);
            });
          },
          () => {
            c.get(src).get(i0).get(ldB).i32.mul().i32.add().set(q);
            c.get(kc).set(kk);
            c.block((done) => {
              c.loop((again) => {
                c.get(kk).i32.const(4).i32.lt_u().brIf(done);
                packFourK(c, width, width, 0, rowAddress, regs, temps, d);
                c.get(q).i32.const(16).i32.add().set(q);
                c.get(d).i32.const(4 * step).i32.add().set(d);
                c.get(kk).i32.const(4).i32.sub().set(kk);
                c.br(again);
              });
            });
            c.block((done) => {
              c.loop((again) => {
                c.get(kk).i32.eqz().brIf(done);
                for (let r = 0; r < width; r++) {
                  c.get(d);
                  rowAddress(r);
                  c.f32.load().f32.store(4 * r);
                }
                c.get(q).i32.const(4).i32.add().set(q);
                c.get(d).i32.const(step).i32.add().set(d);
                c.get(kk).i32.const(1).i32.sub().set(kk);
                c.br(again);
              });
            });
          },
        );
      },
      () => {
        // Edge panel: `valid` < width entries, the rest zero.
        c.i32.const(0).set(kk);
        c.loop((nextK) => {
          c.i32.const(0).set(i);
          c.loop((nextI) => {
            c.f32.const(0).set(v);
            c.get(i).get(valid).i32.lt_u().if(() => {
              c.get(src);
              c.get(kk).get(ldB).i32.mul().get(i0).get(i).i32.add().i32.const(2).i32.shl().i32.add();
              c.get(i0).get(i).i32.add().get(ldB).i32.mul().get(kk).i32.const(2).i32.shl().i32.add();
              c.get(contiguous).select().i32.add().f32.load().set(v);
            });
            c.get(d).get(v).f32.store();
            c.get(d).i32.const(4).i32.add().set(d);
            c.get(i).i32.const(1).i32.add().tee(i).i32.const(width).i32.lt_u().brIf(nextI);
          });
          c.get(kk).i32.const(1).i32.add().tee(kk).get(kc).i32.lt_u().brIf(nextK);
        });
      },
    );
    c.get(i0).i32.const(width).i32.add().tee(i0).get(count).i32.lt_u().brIf(nextPanel);
  });
}

/**
 * Packs an mc×kc block of op(A) (src = address of its first element) into MR-row panels
 * `[k][MR]`. With transA, op(A)(i, k) = src + 4i + k·lda: a panel's k is contiguous.
 */
function emitPackA(
  c: Code,
  mr: number,
  src: Local<'i32'>,
  ldaB: Local<'i32'>,
  trans: Local<'i32'>,
  mc: Local<'i32'>,
  kc: Local<'i32'>,
  dst: Local<'i32'>,
): void {
  emitPack(c, mr, src, ldaB, trans, mc, kc, dst);
}

/**
 * Packs a kc×nc block of op(B) (src = address of its first element) into NR-column panels
 * `[k][NR]`. Without transB, op(B)(k, j) = src + 4j + k·ldb: a panel's k is contiguous.
 */
function emitPackB(
  c: Code,
  nr: number,
  src: Local<'i32'>,
  ldbB: Local<'i32'>,
  trans: Local<'i32'>,
  kc: Local<'i32'>,
  nc: Local<'i32'>,
  dst: Local<'i32'>,
): void {
  const contiguous = c.local('i32');
  c.get(trans).i32.eqz().set(contiguous);
  emitPack(c, nr, src, ldbB, contiguous, nc, kc, dst);
}

interface MicroParams {
  readonly kc: Local<'i32'>;
  readonly ap: Local<'i32'>;
  readonly bp: Local<'i32'>;
  readonly cp: Local<'i32'>;
  readonly ldcB: Local<'i32'>;
  readonly mrValid: Local<'i32'>;
  readonly nrValid: Local<'i32'>;
  readonly acc: Local<'i32'>;
  readonly ep: Local<'i32'>;
}

/**
 * The MR×NR micro-kernel: accumulates kc rank-1 updates of an A panel [k][MR] and a B panel
 * [k][NR] in MR·NR/4 f32x4 registers, then writes (or adds) the valid mrValid×nrValid part to C.
 */
function emitMicroKernel(c: Code, tile: MicroTile, fma: boolean, p: MicroParams): void {
  const { mr, nr, aFromVector } = tile;
  const nv = nr / 4;
  const { kc, ap, bp, cp, ldcB, mrValid, nrValid, acc, ep } = p;
  const accs = Array.from({ length: mr }, () => Array.from({ length: nv }, () => c.local('v128')));
  const bs = Array.from({ length: nv }, () => c.local('v128'));
  const av = c.local('v128'), aVec = c.local('v128');
  const row = c.local('i32'), i = c.local('i32'), j = c.local('i32'), addr = c.local('i32'), v = c.local('f32');

  c.loop((again) => {
    bs.forEach((b, x) => c.get(bp).v128.load(16 * x).set(b));
    for (let ri = 0; ri < mr; ri++) {
      if (aFromVector && ri < 4) {
        if (ri === 0) c.get(ap).v128.load(0, 2).set(aVec);
        c.get(aVec).get(aVec).f32x4.shuffle([ri, ri, ri, ri]).set(av);
      } else {
        c.get(ap).v128.load32_splat(4 * ri).set(av);
      }
      accs[ri]!.forEach((cv, x) => {
        if (fma) c.get(av).get(bs[x]!).get(cv).f32x4.relaxed_madd().set(cv);
        else c.get(cv).get(av).get(bs[x]!).f32x4.mul().f32x4.add().set(cv);
      });
    }
    c.get(ap).i32.const(4 * mr).i32.add().set(ap);
    c.get(bp).i32.const(4 * nr).i32.add().set(bp);
    c.get(kc).i32.const(1).i32.sub().tee(kc).brIf(again);
  });

  c.get(mrValid).i32.const(mr).i32.ge_s().get(nrValid).i32.const(nr).i32.ge_s().i32.and().if(
    () => {
      // Full tile: vector stores straight into C.
      const writeRows = (accumulate: boolean): void => {
        c.get(cp).set(row);
        accs.forEach((rowAccs, ri) => {
          rowAccs.forEach((cv, x) => {
            c.get(row);
            if (accumulate) c.get(row).v128.load(16 * x, 2).get(cv).f32x4.add();
            else c.get(cv);
            c.v128.store(16 * x, 2);
          });
          if (ri + 1 < mr) c.get(row).get(ldcB).i32.add().set(row);
        });
      };
      c.get(acc).if(
        () => writeRows(true),
        () => writeRows(false),
      );
    },
    () => {
      // Edge tile: spill the accumulators to the edge buffer, copy the valid part.
      accs.forEach((rowAccs, ri) => rowAccs.forEach((cv, x) => c.get(ep).get(cv).v128.store(4 * (nr * ri + 4 * x))));
      c.i32.const(mr).get(mrValid).get(mrValid).i32.const(mr).i32.gt_s().select().set(mrValid);
      c.i32.const(nr).get(nrValid).get(nrValid).i32.const(nr).i32.gt_s().select().set(nrValid);
      c.i32.const(0).set(i);
      c.get(cp).set(row);
      c.loop((nextI) => {
        c.i32.const(0).set(j);
        c.loop((nextJ) => {
          c.get(row).get(j).i32.const(2).i32.shl().i32.add().set(addr);
          c.get(ep).get(i).i32.const(nr).i32.mul().get(j).i32.add().i32.const(2).i32.shl().i32.add().f32.load().set(v);
          c.get(acc).if(() => {
            c.get(addr).f32.load().get(v).f32.add().set(v);
          });
          c.get(addr).get(v).f32.store();
          c.get(j).i32.const(1).i32.add().tee(j).get(nrValid).i32.lt_s().brIf(nextJ);
        });
        c.get(row).get(ldcB).i32.add().set(row);
        c.get(i).i32.const(1).i32.add().tee(i).get(mrValid).i32.lt_s().brIf(nextI);
      });
    },
  );
}
