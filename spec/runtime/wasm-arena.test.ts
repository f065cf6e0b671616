import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ARENA_ALIGN, Arena, sizeClass } from '../../runtime/wasm/arena.ts';

const PAGE = 65536;

function arena(maxPages = 64, base = 64): Arena {
  return new Arena(new WebAssembly.Memory({ initial: 1, maximum: maxPages, shared: true }), base, maxPages * PAGE);
}

describe('size classes', () => {
  test('a class holds the request, is aligned, and wastes at most 25% above 4 KiB', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (bytes) => {
        const size = sizeClass(bytes);
        assert.ok(size >= bytes && size >= ARENA_ALIGN);
        assert.equal(size % ARENA_ALIGN, 0);
        if (bytes > 4096) assert.ok(size <= bytes * 1.25, `${bytes} → ${size}`);
        assert.equal(sizeClass(size), size, 'a class size is its own class');
      }),
    );
  });

  test('bad sizes are refused', () => {
    assert.throws(() => sizeClass(-1), RangeError);
    assert.throws(() => sizeClass(Number.NaN), RangeError);
  });
});

type Op = { readonly kind: 'alloc'; readonly bytes: number } | { readonly kind: 'free'; readonly pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('alloc' as const), bytes: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 200_000 })) }),
  fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
);

describe('arena', () => {
  test('live blocks are aligned, inside the memory, disjoint, and keep their contents', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const a = arena();
        const live = new Map<number, { bytes: number; stamp: number }>();
        let stamp = 1;
        for (const op of ops) {
          if (op.kind === 'alloc') {
            const off = a.alloc(op.bytes);
            assert.equal(off % ARENA_ALIGN, 0);
            assert.ok(off >= 64);
            assert.ok(off + op.bytes <= a.memory.buffer.byteLength, 'block beyond the memory');
            assert.ok(a.sizeOf(off) >= op.bytes);
            for (const [o, b] of live) {
              const disjoint = off + Math.max(op.bytes, 1) <= o || o + Math.max(b.bytes, 1) <= off;
              assert.ok(disjoint, `[${off}, +${op.bytes}) overlaps [${o}, +${b.bytes})`);
            }
            // stamp the block's first and last float; other blocks must keep theirs
            const f = new Float32Array(a.memory.buffer);
            if (op.bytes >= 4) {
              f[off / 4] = stamp;
              f[Math.floor((off + op.bytes) / 4) - 1] = stamp;
            }
            live.set(off, { bytes: op.bytes, stamp: stamp++ });
          } else if (live.size > 0) {
            const keys = [...live.keys()];
            const off = keys[op.pick % keys.length] ?? 0;
            a.free(off);
            live.delete(off);
          }
        }
        const f = new Float32Array(a.memory.buffer);
        for (const [off, b] of live) {
          if (b.bytes < 4) continue;
          assert.equal(f[off / 4], b.stamp, 'a live block was overwritten');
          assert.equal(f[Math.floor((off + b.bytes) / 4) - 1], b.stamp, 'a live block was overwritten');
        }
        const stats = a.stats();
        assert.equal(stats.live, [...live.keys()].reduce((s, o) => s + a.sizeOf(o), 0));
        assert.ok(stats.top <= stats.memoryBytes);
      }),
      { numRuns: 150 },
    );
  });

  test('a freed block is reused by the next allocation of its class', () => {
    const a = arena();
    const x = a.alloc(1000);
    a.alloc(10); // keeps x from being the top
    a.free(x);
    assert.equal(a.alloc(990), x);
  });

  test('freeing the top lowers it, swallowing free blocks below', () => {
    const a = arena();
    const x = a.alloc(100);
    const y = a.alloc(5000);
    const z = a.alloc(100);
    const top = a.stats().top;
    a.free(y); // in the middle: goes to a free list
    assert.equal(a.stats().top, top);
    assert.equal(a.stats().free, sizeClass(5000));
    a.free(z); // the top: lowers it past y too
    assert.equal(a.stats().top, x + sizeClass(100));
    assert.equal(a.stats().free, 0);
    assert.equal(a.alloc(5000), y, 'the bump region is reused');
  });

  test('memory grows on demand, and views of old blocks stay valid after growth', () => {
    const a = arena(64);
    const x = a.alloc(1024);
    const view = new Float32Array(a.memory.buffer, x, 256);
    view[7] = 42;
    a.alloc(3 * PAGE);
    assert.ok(a.memory.buffer.byteLength >= 4 * PAGE);
    assert.equal(view[7], 42); // shared memory buffers are never detached
    assert.equal(new Float32Array(a.memory.buffer, x, 256)[7], 42);
  });

  test('errors: double free, foreign offsets, exhausting the maximum', () => {
    const a = arena(4);
    const x = a.alloc(64);
    a.free(x);
    assert.throws(() => a.free(x), /not a live block/);
    assert.throws(() => a.free(12345), /not a live block/);
    assert.throws(() => a.alloc(5 * PAGE), /out of WebAssembly memory.*maximum/);
    assert.equal(a.isLive(a.alloc(100)), true, 'the arena still works after a refused allocation');
  });
});
