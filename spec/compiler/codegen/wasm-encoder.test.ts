import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteWriter, ModuleBuilder } from '../../../compiler/codegen/wasm/encoder.ts';
import { relaxedSimdSupported, simdSupported } from '../../../compiler/codegen/wasm/features.ts';
import { enableRelaxedSimd } from '../../../runtime/threads/node.ts';

function instantiate(bytes: Uint8Array<ArrayBuffer>, memory?: WebAssembly.Memory): WebAssembly.Instance {
  assert.ok(WebAssembly.validate(bytes), 'module does not validate');
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), memory ? { env: { memory } } : {});
}

function exported(instance: WebAssembly.Instance, name: string): (...args: number[]) => unknown {
  const fn = instance.exports[name];
  if (typeof fn !== 'function') throw new Error(`no export ${name}`);
  return (...args) => Reflect.apply(fn, undefined, args);
}

/** Decodes unsigned / signed LEB128 (the oracle for the writer). */
function readLeb(bytes: Uint8Array, signed: boolean): number {
  let result = 0n;
  let shift = 0n;
  let i = 0;
  for (;;) {
    const b = bytes[i++] ?? 0;
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) {
      if (signed && b & 0x40) result -= 1n << shift;
      assert.equal(i, bytes.length, 'trailing bytes after the last LEB128 byte');
      return Number(result);
    }
  }
}

describe('wasm encoder: LEB128', () => {
  test('known encodings', () => {
    assert.deepEqual([...new ByteWriter().u32(0).finish()], [0x00]);
    assert.deepEqual([...new ByteWriter().u32(127).finish()], [0x7f]);
    assert.deepEqual([...new ByteWriter().u32(128).finish()], [0x80, 0x01]);
    assert.deepEqual([...new ByteWriter().u32(624485).finish()], [0xe5, 0x8e, 0x26]);
    assert.deepEqual([...new ByteWriter().s32(-1).finish()], [0x7f]);
    assert.deepEqual([...new ByteWriter().s32(63).finish()], [0x3f]);
    assert.deepEqual([...new ByteWriter().s32(64).finish()], [0xc0, 0x00]);
    assert.deepEqual([...new ByteWriter().s32(-123456).finish()], [0xc0, 0xbb, 0x78]);
  });

  test('u32 and s32 round-trip', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (v) => readLeb(new ByteWriter().u32(v).finish(), false) === v),
    );
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => readLeb(new ByteWriter().s32(v).finish(), true) === v),
    );
  });

  test('out-of-range immediates are refused', () => {
    assert.throws(() => new ByteWriter().u32(-1), RangeError);
    assert.throws(() => new ByteWriter().u32(2 ** 32), RangeError);
    assert.throws(() => new ByteWriter().s32(1.5), RangeError);
  });
});

describe('wasm encoder: modules', () => {
  test('scalar arithmetic, locals and a counted loop', () => {
    const mod = new ModuleBuilder();
    // sum of i*i for i in [0, n)
    mod.func({ name: 'sumSquares', params: ['i32'], results: ['i32'] }, (c, [n]) => {
      const i = c.local('i32');
      const acc = c.local('i32');
      c.block((done) => {
        c.get(n).i32.eqz().brIf(done);
        c.loop((again) => {
          c.get(acc).get(i).get(i).i32.mul().i32.add().set(acc);
          c.get(i).i32.const(1).i32.add().tee(i).get(n).i32.lt_s().brIf(again);
        });
      });
      c.get(acc);
    });
    const sumSquares = exported(instantiate(mod.encode()), 'sumSquares');
    for (const n of [0, 1, 2, 10, 100]) {
      let expected = 0;
      for (let i = 0; i < n; i++) expected += i * i;
      assert.equal(sumSquares(n), expected);
    }
  });

  test('branch depths are computed from labels (br to an outer block)', () => {
    const mod = new ModuleBuilder();
    // returns 1 if x > 10, 2 if x > 5, else 3, via nested blocks
    mod.func({ name: 'classify', params: ['i32'], results: ['i32'] }, (c, [x]) => {
      const r = c.local('i32');
      c.block((outer) => {
        c.block((middle) => {
          c.i32.const(1).set(r);
          c.get(x).i32.const(10).i32.gt_s().brIf(outer);
          c.i32.const(2).set(r);
          c.get(x).i32.const(5).i32.gt_s().brIf(middle);
          c.i32.const(3).set(r);
        });
      });
      c.get(r);
    });
    const classify = exported(instantiate(mod.encode()), 'classify');
    assert.deepEqual([11, 7, 5, -3].map((x) => classify(x)), [1, 2, 3, 3]);
  });

  test('if/else and calls between functions', () => {
    const mod = new ModuleBuilder();
    const abs = mod.func({ params: ['f32'], results: ['f32'] }, (c, [x]) => {
      const r = c.local('f32');
      c.get(x).f32.const(0).f32.lt().if(
        () => {
          c.get(x).f32.neg().set(r);
        },
        () => {
          c.get(x).set(r);
        },
      );
      c.get(r);
    });
    mod.func({ name: 'absSum', params: ['f32', 'f32'], results: ['f32'] }, (c, [a, b]) => {
      c.get(a).call(abs).get(b).call(abs).f32.add();
    });
    const absSum = exported(instantiate(mod.encode()), 'absSum');
    assert.equal(absSum(-1.5, 2.25), 3.75);
    assert.equal(absSum(-1, -2), 3);
  });

  test('SIMD over an imported shared memory: loads, shuffles, lane stores', () => {
    assert.ok(simdSupported());
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const mod = new ModuleBuilder();
    mod.importMemory('env', 'memory', { initial: 1, maximum: 4, shared: true });
    // out[0..4) = reverse(x[0..4)) * 2 + splat(y); out[4] = lane 2 of x
    mod.func({ name: 'kernel', params: ['i32', 'i32', 'i32'], results: [] }, (c, [x, y, out]) => {
      c.get(out);
      c.get(x).v128.load().get(x).v128.load().f32x4.shuffle([3, 2, 1, 0]);
      c.f32x4.const(2, 2, 2, 2).f32x4.mul();
      c.get(y).v128.load32_splat().f32x4.add();
      c.v128.store();
      c.get(out).get(x).v128.load().v128.store32_lane(2, 16);
    });
    const kernel = exported(instantiate(mod.encode(), memory), 'kernel');
    const f = new Float32Array(memory.buffer);
    f.set([1, 2, 3, 4], 0);
    f[8] = 0.5;
    kernel(0, 32, 64);
    assert.deepEqual([...f.subarray(16, 21)], [8.5, 6.5, 4.5, 2.5, 3]);
  });

  test('relaxed SIMD fused multiply-add where the runtime has it', () => {
    enableRelaxedSimd();
    if (!relaxedSimdSupported()) return; // feature detection is what the runtime relies on
    const mod = new ModuleBuilder();
    mod.importMemory('env', 'memory', { initial: 1, maximum: 1, shared: true });
    mod.func({ name: 'madd', params: ['i32'], results: [] }, (c, [p]) => {
      c.get(p).get(p).v128.load(0).get(p).v128.load(16).get(p).v128.load(32).f32x4.relaxed_madd().v128.store(48);
    });
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const f = new Float32Array(memory.buffer);
    f.set([1, 2, 3, 4, 10, 20, 30, 40, 0.5, 0.25, -1, 8]);
    exported(instantiate(mod.encode(), memory), 'madd')(0);
    assert.deepEqual([...f.subarray(12, 16)], [10.5, 40.25, 89, 168]);
  });

  test('misuse is refused at build time', () => {
    assert.throws(() => new ModuleBuilder().importMemory('env', 'memory', { initial: 1, shared: true }), /maximum/);
    const mod = new ModuleBuilder();
    assert.throws(
      () =>
        mod.func({ params: [], results: [] }, (c) => {
          let escaped: { id: number } | undefined;
          c.block((l) => {
            escaped = l;
          });
          if (escaped) c.br(escaped);
        }),
      /not in scope/,
    );
    assert.throws(() => mod.func({ params: [], results: [] }, (c) => c.i8x16.shuffle([32, ...new Array<number>(15).fill(0)])), /lane/);
    const declared = new ModuleBuilder();
    declared.declare({ name: 'f', params: [], results: [] });
    assert.throws(() => declared.encode(), /never defined/);
  });
});
