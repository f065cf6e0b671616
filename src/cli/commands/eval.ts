/**
 * `fusegrad eval [run]`: test accuracy of a trained model, per class and overall, and its
 * confusion matrix — as a text table on stdout and as `confusion.svg` in the run folder.
 */
import { join } from 'node:path';
import { FASHION_MNIST_LABELS } from '../../data/fashion-mnist.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { confusionMatrix, confusionMatrixSvg } from '../../plot/heatmap.ts';
import { formatMetric } from '../../report/format.ts';
import { backendFlag, withBackend } from '../backend.ts';
import { defineCommand } from '../command.ts';
import { modelCodec } from '../config.ts';
import { locateFashionMnist } from '../data.ts';
import { CliError, messageOf } from '../errors.ts';
import { nonEmptyText, positiveInt } from '../flags.ts';
import { accuracyOf, runModel } from '../inference.ts';
import { openModel } from '../open-run.ts';
import { DEFAULT_RUNS_DIR, RUN_FILES } from '../runs.ts';
import { formatTable } from '../table.ts';

/** The `--runs-dir`, `--weights`, `--model`, `--hidden`, `--data`, `--backend` flags of eval and predict. */
export const modelSourceFlags = {
  runsDir: { codec: nonEmptyText, help: 'folder holding the runs', placeholder: '<dir>', defaultText: DEFAULT_RUNS_DIR },
  weights: { codec: nonEmptyText, help: 'a .safetensors file to use instead of a run (e.g. saved by PyTorch); needs --model', placeholder: '<file>' },
  model: { codec: modelCodec, help: 'with --weights: linreg, softmax, mlp or mlp-dropout', placeholder: '<name>' },
  hidden: { codec: positiveInt, help: 'with --weights: hidden units of the MLPs', placeholder: '<n>', defaultText: '256' },
  data: { codec: nonEmptyText, help: 'folder with the Fashion-MNIST IDX files (default: the run\'s, else $FUSEGRAD_DATA and the usual places)', placeholder: '<dir>' },
  backend: backendFlag,
} as const;

export const runPositional = [{ name: 'run', help: 'a run name in --runs-dir, a run folder, or last (the default)', required: false }] as const;

export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'test accuracy of a trained model, with a confusion matrix',
  description:
    'Runs a trained model over the Fashion-MNIST test set and prints its accuracy, the accuracy of each class, and the confusion matrix ' +
    '(rows: true class, columns: predicted class). Writes the matrix as confusion.svg into the run folder (or --out).',
  flags: {
    ...modelSourceFlags,
    out: { codec: nonEmptyText, help: 'where to write the confusion matrix SVG', placeholder: '<file>', defaultText: '<run>/confusion.svg' },
  },
  positionals: runPositional,
  examples: [
    ['fusegrad eval', 'the most recent run in runs/'],
    ['fusegrad eval mlp-20260127-135501', 'a run by name'],
    ['fusegrad eval --weights mlp.safetensors --model mlp', 'weights saved by PyTorch from the d2l MLP (state_dict names 1.weight, 1.bias, 3.weight, 3.bias)'],
  ],
  async run({ flags, positionals }, ctx) {
    const opened = await openModel({ run: positionals[0], runsDir: flags.runsDir ?? DEFAULT_RUNS_DIR, weights: flags.weights, model: flags.model, hidden: flags.hidden });
    const dataDir = flags.data ?? opened.config?.data ?? undefined;
    const data = await locateFashionMnist({ ...(dataDir === undefined ? {} : { dir: dataDir }), env: ctx.env, say: (l) => ctx.stderr.write(`${l}\n`) });
    const { predicted, classes } = await withBackend(flags.backend ?? 'auto', ctx, ({ backend }) => runModel(opened.plan, opened.params, data.test.x, backend));
    const labels = data.test.y.data;
    const counts = confusionMatrix(predicted, labels, classes);
    const names = classes === FASHION_MNIST_LABELS.length ? [...FASHION_MNIST_LABELS] : Array.from({ length: classes }, (_, i) => String(i));

    const rows = names.map((name, c) => {
      let total = 0;
      for (let p = 0; p < classes; p++) total += counts[c * classes + p] ?? 0;
      const right = counts[c * classes + c] ?? 0;
      return [name, String(total), String(right), total === 0 ? '-' : formatMetric(right / total)];
    });
    const out = ctx.stdout;
    out.write(`${opened.label}: ${opened.plan.description}\n`);
    out.write(`test accuracy ${formatMetric(accuracyOf(predicted, labels))} on ${labels.length} images (${data.dir})\n\n`);
    out.write(`${formatTable([{ title: 'class' }, { title: 'images', align: 'right' }, { title: 'correct', align: 'right' }, { title: 'accuracy', align: 'right' }], rows)}\n\n`);
    // Columns by class id (names do not fit), rows by id and name.
    const matrixRows = names.map((name, r) => [`${r} ${name}`, ...Array.from({ length: classes }, (_, c) => String(counts[r * classes + c] ?? 0))]);
    const idColumns = names.map((_, c) => ({ title: String(c), align: 'right' as const }));
    out.write(`confusion matrix (rows: true class, columns: predicted class id)\n${formatTable([{ title: 'true \\ predicted' }, ...idColumns], matrixRows)}\n`);

    const target = flags.out ?? (opened.dir === undefined ? undefined : join(opened.dir, RUN_FILES.confusion));
    if (target !== undefined) {
      const svg = confusionMatrixSvg({ counts, classes: names, title: `${opened.plan.description}: test accuracy ${formatMetric(accuracyOf(predicted, labels))}` });
      try {
        await writeFileAtomic(target, svg, { mkdir: true });
      } catch (e) {
        throw new CliError(`--out ${target}: cannot write (${messageOf(e)})`);
      }
      out.write(`\nwrote ${target}\n`);
    }
    return 0;
  },
});
