import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { affineIndex, planWasmElementwise } from '../../../compiler/codegen/wasm/from-kernel.ts';
import { ACC_INPUT } from '../../../compiler/kernel/kernel.ts';
import { iadd, idiv, ilit, imod, imul, ivar, type IExpr, type SExpr } from '../../../compiler/kernel/scalar.ts';

const c = (axis: number): IExpr => ivar(`c${axis}`);
const load = (input: number, index: IExpr, dtype: 'f32' | 'i32' = 'f32'): SExpr => ({ k: 'load', input, index, dtype });
const k = (value: number): SExpr => ({ k: 'const', value, dtype: 'f32' });
const opx = (op: 'add' | 'mul' | 'gt' | 'eq' | 'exp' | 'where' | 'neg', ...args: SExpr[]): SExpr => ({ k: 'op', op, args, attr: 0, dtype: op === 'gt' || op === 'eq' ? 'bool' : 'f32' });

describe('kernel bodies to WebAssembly elementwise plans', () => {
  it('relu(x + bias) over [256, 256]: a full grid and a row vector', () => {
    const z = opx('add', load(0, iadd(imul(c(0), ilit(256)), c(1))), load(1, c(1)));
    const plan = planWasmElementwise(opx('where', opx('gt', z, k(0)), z, k(0)), [256, 256]);
    assert.equal(plan._tag, 'wasm');
    if (plan._tag !== 'wasm') return;
    assert.deepEqual([plan.rows, plan.cols], [256, 256]);
    assert.deepEqual(plan.inputs.map((i) => [i.input, i.layout, i.offset]), [[0, 'contiguous', 0], [1, 'rowVector', 0]]);
  });

  it('a per-row value is a column vector; the accumulator of an epilogue is a full grid; scalars broadcast', () => {
    const plan = planWasmElementwise(opx('mul', opx('add', load(ACC_INPUT, ilit(0)), load(2, c(0))), load(3, ilit(5))), [4, 5]);
    assert.equal(plan._tag, 'wasm');
    if (plan._tag !== 'wasm') return;
    assert.deepEqual(plan.inputs.map((i) => [i.input, i.layout, i.offset]), [[ACC_INPUT, 'contiguous', 0], [2, 'columnVector', 0], [3, 'broadcast', 5]]);
    assert.deepEqual([plan.rows, plan.cols], [4, 5]);
  });

  it('resolves the quotient and remainder of a reshape when the coordinate ranges make them exact', () => {
    const flat = iadd(imul(c(0), ilit(10)), c(1));
    assert.deepEqual(affineIndex(idiv(flat, 10), [3, 10]), { coef: [1, 0], c: 0 });
    assert.deepEqual(affineIndex(imod(flat, 10), [3, 10]), { coef: [0, 1], c: 0 });
    // c1 up to 11: (10·c0 + c1) / 10 is not c0 any more
    assert.equal(affineIndex(idiv(flat, 10), [3, 12]), undefined);
  });

  const stays: [string, SExpr, RegExp][] = [
    ['an int32 load', load(0, c(0), 'i32'), /int32|i32/],
    ['a comparison of a recomputed exp (a tie mask)', opx('eq', opx('exp', load(0, c(0))), load(1, c(0))), /exp/],
    ['a comparison of a product with 1/3', opx('eq', opx('mul', load(0, c(0)), k(1 / 3)), load(1, c(0))), /constant/],
    ['a gather', load(0, { k: 'ifrom', value: load(1, c(0)) }), /affine/],
    ['a random number', { k: 'random', dist: 'uniform', key0: k(0), key1: k(1), counter: c(0), dtype: 'f32' }, /random/],
  ];
  for (const [what, body, reason] of stays) {
    it(`${what} stays on JavaScript, with the reason`, () => {
      const plan = planWasmElementwise(body, [6]);
      assert.equal(plan._tag, 'js');
      if (plan._tag === 'js') assert.match(plan.reason, reason);
    });
  }

  it('an index that is no layout for any split (a transpose) stays on JavaScript', () => {
    const plan = planWasmElementwise(opx('add', load(0, iadd(imul(c(0), ilit(3)), c(1))), load(1, iadd(imul(c(1), ilit(4)), c(0)))), [4, 3]);
    assert.equal(plan._tag, 'js');
  });
});
