/**
 * `fusegrad gradcheck`: checks each model's symbolic gradients (parameters and input) against
 * central finite differences in float64 (`compiler/testing/gradcheck.ts`), on a small version of
 * the model (12 inputs, 5 hidden units, 3 classes, batch 4) so that full Jacobians are compared
 * too. Prints a pass/fail table; exits 1 if anything failed.
 */
import * as op from '../../../compiler/ir/ops.ts';
import type { Node } from '../../../compiler/ir/node.ts';
import { foldIn, keyFromSeed, normalArray, uniformArray } from '../../../compiler/random.ts';
import { formatGradcheck, gradcheck, gradgradcheck, type GradcheckResult } from '../../../compiler/testing/gradcheck.ts';
import { defineCommand } from '../command.ts';
import { MODEL_NAMES, type ModelName } from '../config.ts';
import { oneOf, positiveInt, seedCodec, switchCodec } from '../flags.ts';
import { forwardGraph, lossGraph, modelPlan, parameterShapes, type ModelPlan } from '../models.ts';
import { formatSmall, formatTable } from '../table.ts';

const SMALL = { inputs: 12, hidden: 5, classes: 3 } as const;

interface Check {
  readonly model: ModelName;
  readonly order: 1 | 2;
  readonly names: readonly string[];
  readonly result: GradcheckResult;
}

/** Runs the check of one model: inputs are its parameters then x; labels and the dropout key are fixed. */
export function checkModel(plan: ModelPlan, batch: number, seed: number, order: 1 | 2): Check {
  const shapes = parameterShapes(plan);
  const key = keyFromSeed(seed);
  // Parameters ~ N(0, 0.5²) and inputs ~ U(0, 1): pre-activations well away from ReLU's kink.
  const values = shapes.map((p, i) => ({ data: normalArray(foldIn(key, i), p.shape.reduce((a, b) => a * b, 1), 0, 0.5), shape: p.shape }));
  values.push({ data: uniformArray(foldIn(key, 1000), batch * SMALL.inputs), shape: [batch, SMALL.inputs] });
  const labels = op.literal(Array.from({ length: batch }, (_, i) => i % SMALL.classes), [batch], 'i32');
  const dropoutKey = op.literal(foldIn(key, 2000), [2], 'i32');
  const f = (...xs: Node[]): Node => {
    const params = new Map(shapes.map((p, i) => [p.name, xs[i]!]));
    return lossGraph(plan, forwardGraph(plan, params, xs[shapes.length]!, dropoutKey), labels);
  };
  const opts = { seed, mode: 'both' as const };
  const result = order === 1 ? gradcheck(f, values, opts) : gradgradcheck(f, values, opts);
  return { model: plan.name, order, names: [...shapes.map((p) => p.name), 'x'], result };
}

export const gradcheckCommand = defineCommand({
  name: 'gradcheck',
  summary: 'check each model\'s gradients against finite differences (float64)',
  description:
    'Builds a small version of each model (12 inputs, 5 hidden units, 3 classes, batch 4) in float64 and compares the compiler\'s symbolic ' +
    'gradient of the loss with respect to every parameter and the input against central finite differences, along random directions and ' +
    'entry by entry of the Jacobian. Dropout uses a fixed mask, so the loss is a smooth function of its inputs. Prints one row per tensor ' +
    'and exits with 1 when any comparison fails.',
  flags: {
    model: { codec: oneOf(['all', ...MODEL_NAMES]), help: `which model: ${MODEL_NAMES.join(', ')}, or all`, placeholder: '<name>', defaultText: 'all' },
    batch: { codec: positiveInt, help: 'samples in the checked batch', placeholder: '<n>', defaultText: '4' },
    seed: { codec: seedCodec, help: 'seed of the point, the directions and the dropout mask', placeholder: '<n>', defaultText: '0' },
    second: { codec: switchCodec, help: 'also check second derivatives (gradgradcheck)' },
    verbose: { codec: switchCodec, help: 'print the full report of each check' },
  },
  examples: [
    ['fusegrad gradcheck', 'check all four models'],
    ['fusegrad gradcheck --model mlp-dropout --second', 'first and second derivatives of the dropout MLP'],
  ],
  async run({ flags }, ctx) {
    const names: readonly ModelName[] = flags.model === undefined || flags.model === 'all' ? MODEL_NAMES : [flags.model];
    const seed = flags.seed ?? 0;
    const batch = flags.batch ?? 4;
    const checks: Check[] = [];
    for (const name of names) {
      const plan = modelPlan(name, { ...SMALL });
      checks.push(checkModel(plan, batch, seed, 1));
      if (flags.second === true) checks.push(checkModel(plan, batch, seed, 2));
    }
    const rows: string[][] = [];
    for (const c of checks) {
      c.result.inputs.forEach((input, i) => {
        rows.push([
          c.model,
          c.order === 1 ? '1st' : '2nd',
          c.names[i] ?? `input ${i}`,
          `[${input.shape.join(', ')}]`,
          String(input.checks),
          formatSmall(input.maxError),
          // An exactly zero difference means the loss does not move with this tensor here (every unit dropped or dead): a pass that says little.
          input.failed > 0 ? `FAIL (${input.failed})` : input.maxError === 0 ? 'pass (zero gradient here; try another --seed)' : 'pass',
        ]);
      });
    }
    ctx.stdout.write(
      `${formatTable(
        [{ title: 'model' }, { title: 'order' }, { title: 'tensor' }, { title: 'shape' }, { title: 'checks', align: 'right' }, { title: 'max error', align: 'right' }, { title: 'result' }],
        rows,
      )}\n`,
    );
    const failed = checks.filter((c) => !c.result.ok);
    for (const c of checks) if (flags.verbose === true || !c.result.ok) ctx.stdout.write(`\n${c.model}: ${formatGradcheck(c.result)}\n`);
    const total = checks.reduce((n, c) => n + c.result.checks, 0);
    ctx.stdout.write(`\n${failed.length === 0 ? 'all passed' : `${failed.length} of ${checks.length} checks FAILED`}: ${total} comparisons in float64 (seed ${seed})\n`);
    return failed.length === 0 ? 0 : 1;
  },
});
