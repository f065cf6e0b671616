/**
 * `fusegrad graph`: a model's forward graph (inputs → loss), its backward graph (the symbolic
 * gradients of the loss), and the fused kernels of one compiled SGD training step, as Graphviz
 * DOT files — and as SVG when Graphviz's `dot` is installed. Also writes the kernel listing of
 * `Program.explain()` and the graphs in the compiler's text form.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { graphToDot } from '../../../compiler/ir/dot.ts';
import { countNodes, printGraph } from '../../../compiler/ir/print.ts';
import { writeFilesAtomic, type FileToWrite } from '../../io/atomic.ts';
import { defineCommand } from '../command.ts';
import { DEFAULT_TRAIN_CONFIG, modelCodec } from '../config.ts';
import { CliError, messageOf } from '../errors.ts';
import { nonEmptyText, positiveInt, switchCodec } from '../flags.ts';
import { planOfConfig } from '../models.ts';
import { compileSgdStep } from '../step.ts';
import { backendFlag, withBackend } from '../backend.ts';

/** Whether Graphviz's `dot` can be run. */
export function hasGraphviz(): boolean {
  const r = spawnSync('dot', ['-V'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** SVG text of a DOT graph via `dot -Tsvg`. */
function renderSvg(dot: string, what: string): string {
  const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new CliError(`graphviz dot failed on the ${what} graph: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.status}`}`);
  return r.stdout;
}

export const graphCommand = defineCommand({
  name: 'graph',
  summary: 'draw a model\'s forward and backward graphs and its fused kernels (DOT/SVG)',
  description:
    'Builds the loss of a model for one batch, differentiates it, and compiles one SGD training step. Writes, into the output folder: ' +
    'forward.dot (the loss as an expression graph), backward.dot (the simplified gradient graph), kernels.dot (the compiled step: kernels as ' +
    'boxes, buffers as ellipses), kernels.txt (what each kernel fused, and its code), and graphs.txt (the graphs one node per line). With ' +
    'Graphviz installed (`dot`), each .dot also becomes an .svg.',
  flags: {
    model: { codec: modelCodec, help: 'linreg, softmax, mlp or mlp-dropout', placeholder: '<name>', defaultText: 'mlp' },
    hidden: { codec: positiveInt, help: 'hidden units of the MLPs', placeholder: '<n>', defaultText: '256' },
    batchSize: { codec: positiveInt, help: 'the batch the graphs are built for', placeholder: '<n>', defaultText: '256' },
    out: { codec: nonEmptyText, help: 'output folder', placeholder: '<dir>', defaultText: 'graphs/<model>' },
    backend: { ...backendFlag, help: 'the backend whose kernels are shown: cpu, gpujs or auto', defaultText: 'cpu' },
    print: { codec: switchCodec, help: 'also print the kernel listing (Program.explain) to stdout' },
  },
  examples: [
    ['fusegrad graph', 'graphs of the default MLP in graphs/mlp/'],
    ['fusegrad graph --model softmax --batch-size 8 --out /tmp/g', 'a small softmax regression'],
    ['fusegrad graph --model mlp --print', 'and show what each fused kernel computes'],
  ],
  async run({ flags }, ctx) {
    const model = flags.model ?? 'mlp';
    const plan = planOfConfig({ ...DEFAULT_TRAIN_CONFIG, model, hidden: flags.hidden ?? DEFAULT_TRAIN_CONFIG.hidden });
    const batch = flags.batchSize ?? 256;
    const outDir = flags.out ?? join('graphs', model);
    // Compiling needs the backend open; the program's kernels and source stay readable after it closes.
    const { graph: g, grads, program } = await withBackend(flags.backend ?? 'cpu', ctx, async ({ backend }) => compileSgdStep(plan, batch, backend));
    const gradNames = g.params.map((p) => `d${p.name}`);

    const title = `${plan.description}, batch ${batch}`;
    const dots: Array<readonly [string, string]> = [
      ['forward', graphToDot([g.loss], ['loss'], `${title}: forward`)],
      ['backward', graphToDot(grads, gradNames, `${title}: gradients`)],
      ['kernels', program.toDot()],
    ];
    const files: FileToWrite[] = dots.map(([name, text]) => ({ path: join(outDir, `${name}.dot`), data: `${text}\n` }));
    const explain = program.explain({ source: true });
    files.push({ path: join(outDir, 'kernels.txt'), data: `${title}, one SGD step on ${program.backend.name}\n${explain}\n` });
    files.push({
      path: join(outDir, 'graphs.txt'),
      data: `# forward: ${title}\n${printGraph([g.loss], ['loss'])}\n\n# backward (simplified)\n${printGraph(grads, gradNames)}\n`,
    });
    const svg = hasGraphviz();
    if (svg) {
      for (const [name, text] of dots) files.push({ path: join(outDir, `${name}.svg`), data: renderSvg(text, name) });
    }
    try {
      await writeFilesAtomic(files, { mkdir: true, fsync: false });
    } catch (e) {
      throw new CliError(`--out ${outDir}: cannot write (${messageOf(e)})`);
    }

    const out = ctx.stdout;
    out.write(`${title}\n`);
    out.write(`  forward   ${String(countNodes([g.loss])).padStart(5)} nodes   ${join(outDir, 'forward.dot')}\n`);
    out.write(`  backward  ${String(countNodes(grads)).padStart(5)} nodes   ${join(outDir, 'backward.dot')} (gradients of ${g.params.length} parameters)\n`);
    out.write(`  SGD step  ${String(program.kernels.length).padStart(5)} kernels ${join(outDir, 'kernels.dot')}, ${join(outDir, 'kernels.txt')} (${program.backend.name})\n`);
    out.write(svg ? `  SVG: ${dots.map(([n]) => join(outDir, `${n}.svg`)).join(', ')}\n` : '  SVG: not written — Graphviz `dot` is not installed (apt-get install graphviz), or render the .dot files elsewhere\n');
    if (flags.print === true) out.write(`\n${program.explain()}\n`);
    return 0;
  },
});
