/** Shape rule errors name the primitive, the shapes, the axis, and the user's line that built the node. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as composites from '../../compiler/composites.ts';
import { build } from '../../compiler/ir/build.ts';
import * as op from '../../compiler/ir/ops.ts';
import { DTypeError, ShapeError, type Shape } from '../../compiler/ir/types.ts';

const t = (shape: Shape, dtype: 'f32' | 'i32' = 'f32') => op.input(`t${shape.join('x')}${dtype}`, shape, dtype);

/** Asserts a ShapeError with these fields whose message contains each of `parts`. */
function throwsShape(f: () => unknown, primitive: string, shapes: readonly Shape[], axis: number | undefined, parts: readonly string[]): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ShapeError, `expected a ShapeError, got ${String(e)}`);
    assert.equal(e.primitive, primitive);
    assert.deepEqual(e.shapes, shapes);
    assert.equal(e.axis, axis);
    assert.ok(e.message.startsWith(`${primitive}: `), e.message);
    for (const p of parts) assert.ok(e.message.includes(p), `"${p}" missing from: ${e.message}`);
    // the location is this file, not fusegrad's own code
    assert.match(e.message, /at \S*spec[/\\]compiler[/\\]shape-errors\.test\.ts:\d+:\d+$/);
    return true;
  });
}

describe('shape errors', () => {
  test('broadcasting names both shapes and the axis', () => {
    throwsShape(() => op.add(t([2, 3]), t([4, 3])), 'add', [[2, 3], [4, 3]], 0, ['cannot broadcast 2 against 4', 'shapes [2, 3] and [4, 3], axis 0']);
    throwsShape(() => op.mul(t([5, 2]), t([3])), 'mul', [[5, 2], [3]], 1, ['cannot broadcast 2 against 3']);
    throwsShape(() => op.broadcastTo(t([3]), [2, 4]), 'broadcast', [[1, 3], [2, 4]], 1, ['cannot stretch 3 to 4']);
  });

  test('matmul names the inner dimensions', () => {
    throwsShape(() => op.matmul(t([2, 3]), t([4, 5])), 'matmul', [[2, 3], [4, 5]], 1, ['inner dimensions differ: 3 vs 4', 'shapes [2, 3] and [4, 5], axis 1']);
    throwsShape(() => op.matmul(t([2, 2, 3]), t([3, 3, 1])), 'matmul', [[2], [3]], 0, ['cannot broadcast 2 against 3']);
    throwsShape(() => op.matmul(t([]), t([3])), 'matmul', [[], [3]], undefined, ['rank >= 1']);
  });

  test('reductions, movement and indexing name the axis', () => {
    throwsShape(() => op.sum(t([2, 3]), 2), 'sum', [[2, 3]], 2, ['axis out of range']);
    throwsShape(() => op.max(t([2, 3]), -3), 'max', [[2, 3]], -3, ['axis out of range']);
    throwsShape(() => op.reshape(t([2, 3]), [4]), 'reshape', [[2, 3], [4]], undefined, ['element counts differ']);
    throwsShape(() => op.permute(t([2, 3]), [0, 0]), 'permute', [[2, 3]], undefined, ['[0, 0] is not a permutation of the axes']);
    throwsShape(() => op.slice(t([2, 3]), [0, 1], [2, 4]), 'slice', [[2, 3]], 1, ['range 1:4 outside 0:3']);
    throwsShape(() => op.pad(t([2, 3]), [0, -1], [0, 0]), 'pad', [[2, 3]], 1, ['negative padding']);
    throwsShape(() => op.concat([t([2, 3]), t([3, 3])], 1), 'concat', [[2, 3], [3, 3]], 1, ['shapes differ off the concatenation axis']);
    throwsShape(() => op.takeAlongAxis(t([2, 3]), t([3, 1], 'i32'), 1), 'takeAlongAxis', [[2, 3], [3, 1]], 0, ['index dimension 3 differs from 2']);
  });

  test("the primitives' own shape rules (reached through build, below the broadcasting builders)", () => {
    throwsShape(() => build('matmul', [t([2, 3]), t([2, 3, 4])], {}), 'matmul', [[2, 3], [2, 3, 4]], undefined, ['operands must have equal rank >= 2']);
    throwsShape(() => build('matmul', [t([2, 2, 3]), t([4, 3, 5])], {}), 'matmul', [[2, 2, 3], [4, 3, 5]], undefined, ['batch dimensions differ']);
    throwsShape(() => build('add', [t([2, 3]), t([3, 2])], {}), 'add', [[2, 3], [3, 2]], undefined, ['elementwise operands must share a shape']);
    throwsShape(() => build('sum', [t([2, 3])], { axes: [5], keepdims: false }), 'sum', [[2, 3]], 5, ['axis out of range']);
    throwsShape(() => build('broadcast', [t([2, 3])], { shape: [2, 3, 4] }), 'broadcast', [[2, 3], [2, 3, 4]], undefined, ['ranks differ']);
  });

  test('composites check their operands too', () => {
    throwsShape(() => composites.crossEntropy(t([4, 10]), t([5], 'i32')), 'crossEntropy', [[4, 10], [5]], 0, ['expected scores [batch, classes] and labels [batch]']);
  });

  test('dtype errors name the primitive and the dtypes', () => {
    assert.throws(() => op.add(t([2]), t([2], 'i32')), (e: unknown) => e instanceof DTypeError && /^add: operands have different dtypes: f32 and i32 at \S*shape-errors\.test\.ts:\d+:\d+$/.test(e.message));
    assert.throws(() => op.exp(t([2], 'i32')), (e: unknown) => e instanceof DTypeError && /^exp: expected a float tensor, got i32/.test(e.message));
  });
});
