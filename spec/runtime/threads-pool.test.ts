import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ModuleBuilder } from '../../compiler/codegen/wasm/encoder.ts';
import { nodePlatform } from '../../runtime/threads/node.ts';
import { ThreadPool } from '../../runtime/threads/pool.ts';
import { absentWorkerPlatform } from './threads-absent-worker.ts';

const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });

/** add(ptr, v): i32 at ptr += v; busy(ptr, n): n additions of 1 at ptr; trap(): unreachable. */
function testModule(): WebAssembly.Module {
  const mod = new ModuleBuilder();
  mod.importMemory('env', 'memory', { initial: 1, maximum: 16, shared: true });
  mod.func({ name: 'add', params: ['i32', 'i32'], results: [] }, (c, [p, v]) => {
    c.get(p).get(p).i32.load().get(v).i32.add().i32.store();
  });
  mod.func({ name: 'busy', params: ['i32', 'i32'], results: [] }, (c, [p, n]) => {
    c.loop((again) => {
      c.get(p).get(p).i32.load().i32.const(1).i32.add().i32.store();
      c.get(n).i32.const(1).i32.sub().tee(n).i32.const(0).i32.gt_s().brIf(again);
    });
  });
  mod.func({ name: 'trap', params: [], results: [] }, (c) => {
    c.unreachable();
  });
  // busyThenTrap(p, n): n additions of 1 at p, then unreachable when n is 0
  mod.func({ name: 'busyThenTrap', params: ['i32', 'i32'], results: [] }, (c, [p, n]) => {
    c.get(n).i32.eqz().if(() => c.unreachable());
    c.loop((again) => {
      c.get(p).get(p).i32.load().i32.const(1).i32.add().i32.store();
      c.get(n).i32.const(1).i32.sub().tee(n).i32.const(0).i32.gt_s().brIf(again);
    });
  });
  // mark(lo, hi, base, tag, spin): i32 at base + 4i += tag for i in [lo, hi), then up to `spin`
  // iterations of a loop that only reads (it must not race with other threads' marks) and
  // stops early once the word before base is set; tag 0 sets that word and traps.
  mod.func({ name: 'mark', params: ['i32', 'i32', 'i32', 'i32', 'i32'], results: [] }, (c, [lo, hi, base, tag, spin]) => {
    const flag = c.local('i32'), at = c.local('i32');
    c.get(base).i32.const(4).i32.sub().set(flag);
    c.get(tag).i32.eqz().if(() => {
      c.get(flag).i32.const(1).i32.store();
      c.unreachable();
    });
    c.block((done) => {
      c.loop((again) => {
        c.get(lo).get(hi).i32.ge_s().brIf(done);
        c.get(base).get(lo).i32.const(2).i32.shl().i32.add().set(at);
        c.get(at).get(at).i32.load().get(tag).i32.add().i32.store();
        c.get(lo).i32.const(1).i32.add().set(lo);
        c.br(again);
      });
    });
    c.block((done) => {
      c.loop((again) => {
        c.get(spin).i32.const(0).i32.le_s().brIf(done);
        c.get(flag).i32.load().brIf(done);
        c.get(spin).i32.const(1).i32.sub().set(spin);
        c.br(again);
      });
    });
  });
  return new WebAssembly.Module(mod.encode());
}

const words = (): Int32Array => new Int32Array(memory.buffer);
const ADD = 0, BUSY = 1, TRAP = 2, BUSY_THEN_TRAP = 3, MARK = 4;
const EXPORTS = ['add', 'busy', 'trap', 'busyThenTrap', 'mark'];

/** Main thread's and workers' tags in `mark`: a word holding one of them was marked once. */
const MAIN_TAG = 1, WORKER_TAG = 1000;

/**
 * Checks words [from, from + total) were each marked exactly once by some thread and the
 * `guard` words after them not at all; returns how many the workers marked.
 */
function checkMarkedOnce(from: number, total: number, guard: number): number {
  const w = words();
  let byWorkers = 0;
  for (let i = 0; i < total; i++) {
    const v = w[from + i];
    assert.ok(v === MAIN_TAG || v === WORKER_TAG, `word ${i} of ${total} is ${v}: not marked exactly once`);
    if (v === WORKER_TAG) byWorkers++;
  }
  for (let i = total; i < total + guard; i++) assert.equal(w[from + i], 0, `word ${i} past the end was marked`);
  return byWorkers;
}

describe('thread pool (Node worker_threads)', () => {
  const pools: ThreadPool[] = [];
  after(async () => {
    await Promise.all(pools.map((p) => p.dispose()));
  });

  test('each thread runs its own task; idle slots are skipped', async () => {
    const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads: 3 });
    pools.push(pool);
    assert.equal(pool.threads, 3);
    const mod = pool.instantiate(testModule(), EXPORTS);
    words().fill(0, 0, 16);
    pool.run(mod, ADD, [[0, 1], [4, 10], [8, 100]]);
    pool.run(mod, ADD, [undefined, [4, 10], undefined]);
    pool.run(mod, ADD, [[0, 1], undefined, undefined]); // main alone: no dispatch
    assert.deepEqual([...words().subarray(0, 3)], [2, 20, 100]);
  });

  test('thousands of back-to-back dispatches lose no task', async () => {
    const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads: 2 });
    pools.push(pool);
    const mod = pool.instantiate(testModule(), EXPORTS);
    words().fill(0, 16, 32);
    const rounds = 5000;
    for (let r = 0; r < rounds; r++) {
      // alternate shapes of dispatch, including one where the main thread has nothing to do
      if (r % 3 === 0) pool.run(mod, ADD, [[64, 1], [68, 1]]);
      else if (r % 3 === 1) pool.run(mod, ADD, [undefined, [68, 1]]);
      else pool.run(mod, BUSY, [[64, 3], [68, 50]]);
    }
    const w = words();
    assert.equal(w[16], Math.ceil(rounds / 3) + 3 * Math.floor(rounds / 3));
    assert.equal(w[17], Math.ceil(rounds / 3) + Math.floor((rounds + 1) / 3) + 50 * Math.floor(rounds / 3));
  });

  test('sleeping workers wake up (no spinning at all)', async () => {
    const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads: 2, spinMicros: 0 });
    pools.push(pool);
    const mod = pool.instantiate(testModule(), EXPORTS);
    words().fill(0, 32, 34);
    for (let r = 0; r < 5; r++) {
      await new Promise((resolve) => setTimeout(resolve, 15));
      pool.run(mod, ADD, [[128, 1], [132, 1]]);
    }
    assert.deepEqual([...words().subarray(32, 34)], [5, 5]);
  });

  test('the main thread runs the share of a worker that has not started it (asleep), once', async () => {
    const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads: 2, spinMicros: 0 });
    pools.push(pool);
    const mod = pool.instantiate(testModule(), EXPORTS);
    words().fill(0, 44, 46);
    for (let r = 0; r < 200; r++) pool.run(mod, ADD, [undefined, [180, 1]]);
    for (let r = 0; r < 200; r++) pool.run(mod, ADD, [[176, 1], [180, 1]]);
    // every share ran exactly once, whoever ran it
    assert.deepEqual([...words().subarray(44, 46)], [200, 400]);
    assert.ok(pool.stolen > 0, 'a sleeping worker never had its share taken over');
  });

  test('a failure on a worker or on the main thread is rethrown, and the pool goes on', async () => {
    const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads: 2 });
    pools.push(pool);
    const mod = pool.instantiate(testModule(), EXPORTS);
    // The main thread is busy long enough for the worker to take its own share, which traps.
    assert.throws(() => pool.run(mod, BUSY_THEN_TRAP, [[168, 20_000_000], [172, 0]]), /worker 0 failed: RuntimeError: unreachable/);
    assert.throws(() => pool.run(mod, TRAP, [[], undefined]), WebAssembly.RuntimeError);
    // A worker's share that fails is rethrown whichever thread ran it (the main thread runs a
    // share its worker has not started yet).
    assert.throws(() => pool.run(mod, TRAP, [undefined, []]), /RuntimeError: unreachable/);
    assert.throws(() => pool.run(mod, ADD, [undefined, [16 * 65536, 1]]), /RuntimeError: memory access out of bounds/);
    words().fill(0, 40, 42);
    pool.run(mod, ADD, [[160, 1], [164, 2]]);
    assert.deepEqual([...words().subarray(40, 42)], [1, 2]);
    assert.throws(() => pool.run(mod, ADD, [[0, 1], [0, 1], [0, 1]]), /3 tasks for 2 threads/);
  });

  test('modules instantiated later reach the workers; growth of the memory is seen by all', async () => {
    const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads: 2 });
    pools.push(pool);
    pool.instantiate(testModule(), ['add']);
    const later = pool.instantiate(testModule(), EXPORTS);
    const before = memory.buffer.byteLength;
    if (before < 4 * 65536) memory.grow(4 - before / 65536);
    const p = 3 * 65536 + 8; // only exists after growth
    words().fill(0, p / 4, p / 4 + 2);
    pool.run(later, ADD, [[p, 7], [p + 4, 9]]);
    assert.deepEqual([...words().subarray(p / 4, p / 4 + 2)], [7, 9]);
  });

  test('chunked: every chunk runs exactly once, whatever the chunk size and thread count', async () => {
    for (const threads of [1, 2, 3]) {
      const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads });
      pools.push(pool);
      const mod = pool.instantiate(testModule(), EXPORTS);
      const from = 1024, p = 4 * from;
      for (const [total, size] of [[0, 1], [1, 1], [1, 7], [7, 7], [8, 7], [100, 1], [100, 3], [1000, 64], [5, 1000]] as const) {
        words().fill(0, from - 1, from + total + 8);
        const tasks = Array.from({ length: threads }, (_, t) => [p, t === 0 ? MAIN_TAG : WORKER_TAG, 200]);
        pool.runChunked(mod, MARK, { total, size }, tasks);
        checkMarkedOnce(from, total, 8);
      }
      assert.throws(() => pool.runChunked(mod, MARK, { total: 10, size: 0 }, [[p, 1, 0]]), /chunks of 0/);
      assert.throws(() => pool.runChunked(mod, MARK, { total: 10, size: 1 }, [undefined]), /main thread needs arguments/);
    }
  });

  test('chunked: a slow worker holds up only its own chunk; back-to-back chunked and plain dispatches lose nothing', async () => {
    const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads: 2 });
    pools.push(pool);
    const mod = pool.instantiate(testModule(), EXPORTS);
    const from = 2048, p = 4 * from, total = 64;
    // The worker's chunks are 20,000 times slower than the main thread's.
    words().fill(0, from - 1, from + total + 4);
    pool.runChunked(mod, MARK, { total, size: 1 }, [[p, MAIN_TAG, 100], [p, WORKER_TAG, 2_000_000]]);
    checkMarkedOnce(from, total, 4);
    // Right after a chunked dispatch the worker may still be leaving it (its slot taken): the
    // next dispatch, chunked or not, must neither lose a share nor hand it a stale one.
    const counter = from + 100; // the main thread's share adds to it, the worker's to the next word
    words().fill(0, counter, counter + 2);
    const rounds = 3000;
    for (let r = 0; r < rounds; r++) {
      words().fill(0, from - 1, from + 20);
      pool.runChunked(mod, MARK, { total: 16, size: 1 + (r % 5) }, [[p, MAIN_TAG, r % 7], [p, WORKER_TAG, 30 * (r % 3)]]);
      checkMarkedOnce(from, 16, 4);
      pool.run(mod, ADD, [[4 * counter, 1], [4 * counter + 4, 1]]);
      pool.run(mod, ADD, [undefined, [4 * counter + 4, 1]]);
    }
    assert.deepEqual([...words().subarray(counter, counter + 2)], [rounds, 2 * rounds]);
  });

  test('chunked: a worker that never gets a core is never waited for (the main thread runs every chunk)', async () => {
    // A regression here hangs (the wait is synchronous): no test timeout can end it.
    const pool = await ThreadPool.create({ platform: absentWorkerPlatform(1), memory, threads: 2 });
    pools.push(pool);
    const mod = pool.instantiate(testModule(), EXPORTS); // the absent worker's one load
    const from = 3072, p = 4 * from;
    for (let r = 0; r < 50; r++) {
      words().fill(0, from - 1, from + 40);
      pool.runChunked(mod, MARK, { total: 33, size: 4 }, [[p, MAIN_TAG, 0], [p, WORKER_TAG, 0]]);
      assert.equal(checkMarkedOnce(from, 33, 4), 0);
    }
    assert.deepEqual(pool.chunksRun, { main: 50 * 9, workers: 0 });
    // A plain dispatch too: the main thread runs the share its worker never started.
    words()[from] = 0;
    pool.run(mod, ADD, [[p, 1], [p, 10]]);
    assert.equal(words()[from], 11);
  });

  test('chunked: a failing chunk on either thread is rethrown after all chunks are counted; the pool goes on', async () => {
    const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads: 2 });
    pools.push(pool);
    const mod = pool.instantiate(testModule(), EXPORTS);
    const from = 3584, p = 4 * from;
    // tag 0 traps: on the main thread always; on the worker whenever it takes a chunk, which
    // the main thread leaves it time to do (its chunks spin until the worker has trapped)
    assert.throws(() => pool.runChunked(mod, MARK, { total: 8, size: 1 }, [[p, 0, 0], [p, WORKER_TAG, 0]]), WebAssembly.RuntimeError);
    words()[from - 1] = 0; // set by the trap above
    assert.throws(
      () => pool.runChunked(mod, MARK, { total: 16, size: 1 }, [[p, MAIN_TAG, 2 ** 31 - 1], [p, 0, 0]]),
      /RuntimeError: unreachable/,
    );
    assert.equal(words()[from - 1], 1, 'the worker never took a chunk');
    words().fill(0, from - 1, from + 20);
    pool.runChunked(mod, MARK, { total: 16, size: 2 }, [[p, MAIN_TAG, 0], [p, WORKER_TAG, 0]]);
    checkMarkedOnce(from, 16, 4);
  });

  test('one thread means no workers', async () => {
    const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads: 1 });
    const mod = pool.instantiate(testModule(), EXPORTS);
    words()[50] = 0;
    pool.run(mod, ADD, [[200, 3]]);
    assert.equal(words()[50], 3);
    await pool.dispose();
    assert.throws(() => pool.run(mod, ADD, [[200, 3]]), /after dispose/);
  });

  test('an undisposed pool does not keep the process alive (workers are unref’d)', async () => {
    // Never disposed: if its worker kept the event loop alive, this test file would not end.
    const pool = await ThreadPool.create({ platform: nodePlatform, memory, threads: 2 });
    const mod = pool.instantiate(testModule(), EXPORTS);
    pool.run(mod, ADD, [[240, 1], [244, 1]]);
  });
});
