import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ModuleBuilder } from '../../compiler/codegen/wasm/encoder.ts';
import { nodePlatform } from '../../runtime/threads/node.ts';
import { ThreadPool } from '../../runtime/threads/pool.ts';

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
  return new WebAssembly.Module(mod.encode());
}

const words = (): Int32Array => new Int32Array(memory.buffer);
const ADD = 0, BUSY = 1, TRAP = 2, BUSY_THEN_TRAP = 3;
const EXPORTS = ['add', 'busy', 'trap', 'busyThenTrap'];

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
