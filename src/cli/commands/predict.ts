/**
 * `fusegrad predict [run]`: the book's `predict_ch3` — test images with their true and predicted
 * labels, as `predictions.svg` (an image grid, wrong ones framed in red) and as lines on stdout.
 */
import { join } from 'node:path';
import { takeRows } from '../../data/dataset.ts';
import { fashionMnistLabel } from '../../data/fashion-mnist.ts';
import { imageGridSvg } from '../../data/image-grid.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { defineCommand } from '../command.ts';
import { locateFashionMnist } from '../data.ts';
import { CliError, messageOf } from '../errors.ts';
import { nonEmptyText, nonNegativeInt, positiveInt, switchCodec } from '../flags.ts';
import { runModel } from '../inference.ts';
import { openModel } from '../open-run.ts';
import { DEFAULT_RUNS_DIR, RUN_FILES } from '../runs.ts';
import { modelSourceFlags, runPositional } from './eval.ts';
import { withBackend } from '../backend.ts';

export const predictCommand = defineCommand({
  name: 'predict',
  summary: 'show test images with their true and predicted labels (SVG grid)',
  description:
    'Runs a trained model on test images and draws them in a grid with the true label under each and the predicted one below it ' +
    '(green when right, red and framed when wrong), as predictions.svg in the run folder (or --out). Also prints one line per image.',
  flags: {
    ...modelSourceFlags,
    count: { codec: positiveInt, help: 'how many images', placeholder: '<n>', defaultText: '16' },
    start: { codec: nonNegativeInt, help: 'index of the first test image', placeholder: '<i>', defaultText: '0' },
    wrong: { codec: switchCodec, help: 'show only images the model gets wrong' },
    out: { codec: nonEmptyText, help: 'where to write the SVG', placeholder: '<file>', defaultText: '<run>/predictions.svg' },
  },
  positionals: runPositional,
  examples: [
    ['fusegrad predict', '16 test images and the most recent run\'s predictions'],
    ['fusegrad predict softmax --count 32 --wrong', '32 mistakes of the run named softmax'],
    ['fusegrad predict --weights mlp.safetensors --model mlp --out mlp.svg', 'weights saved by PyTorch'],
  ],
  async run({ flags, positionals }, ctx) {
    const opened = await openModel({ run: positionals[0], runsDir: flags.runsDir ?? DEFAULT_RUNS_DIR, weights: flags.weights, model: flags.model, hidden: flags.hidden });
    const dataDir = flags.data ?? opened.config?.data ?? undefined;
    const data = await locateFashionMnist({ ...(dataDir === undefined ? {} : { dir: dataDir }), env: ctx.env, say: (l) => ctx.stderr.write(`${l}\n`) });
    const n = data.test.y.data.length;
    const start = flags.start ?? 0;
    const count = flags.count ?? 16;
    if (start >= n) throw new CliError(`--start ${start}: the test set has ${n} images (expected 0 to ${n - 1})`);

    // With --wrong, look at everything from `start` on; else only the images shown.
    const end = flags.wrong === true ? n : Math.min(n, start + count);
    const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
    const slice = takeRows(data.test, indices, 0, indices.length);
    const { predicted } = await withBackend(flags.backend ?? 'auto', ctx, ({ backend }) => runModel(opened.plan, opened.params, slice.x, backend));
    let shown = Array.from(indices.keys());
    if (flags.wrong === true) shown = shown.filter((i) => predicted[i] !== slice.y.data[i]);
    shown = shown.slice(0, count);
    const picked = takeRows(slice, Int32Array.from(shown), 0, shown.length);
    const truth = shown.map((i) => fashionMnistLabel(slice.y.data[i] ?? 0));
    const guess = shown.map((i) => fashionMnistLabel(predicted[i] ?? 0));

    const out = ctx.stdout;
    out.write(`${opened.label}: ${opened.plan.description}\n`);
    shown.forEach((i, k) => {
      const mark = truth[k] === guess[k] ? 'ok   ' : 'WRONG';
      out.write(`  #${String(indices[i]).padEnd(6)} ${mark}  true ${(truth[k] ?? '').padEnd(11)} predicted ${guess[k] ?? ''}\n`);
    });
    const right = shown.filter((_, k) => truth[k] === guess[k]).length;
    out.write(`${right} of ${shown.length} shown are right${flags.wrong === true ? ` (${shown.length} mistakes shown)` : ''}\n`);

    const target = flags.out ?? join(opened.dir ?? '.', RUN_FILES.predictions);
    const svg = imageGridSvg(picked.x, { labels: truth, predicted: guess, title: `${opened.plan.description}: ${right} of ${shown.length} right` });
    try {
      await writeFileAtomic(target, svg, { mkdir: true });
    } catch (e) {
      throw new CliError(`--out ${target}: cannot write (${messageOf(e)})`);
    }
    out.write(`wrote ${target}\n`);
    return 0;
  },
});
