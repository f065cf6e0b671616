/**
 * `fusegrad bench`: a quick measurement of the compiled training step that `fusegrad train` runs
 * (`src/train`'s `trainStep`: forward, backward, optimizer update, parameters donated) on random
 * data — milliseconds per step and samples per second — or, with `--suite` or a name, the
 * benchmark scripts in `bench/`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { foldIn, keyFromSeed, uniformArray } from '../../../compiler/random.ts';
import { fromHost } from '../../../runtime/array.ts';
import { normal, reinit, zeros } from '../../nn/init.ts';
import { stepKey } from '../../nn/random.ts';
import { trainStep } from '../../train/step.ts';
import { formatRate } from '../../report/format.ts';
import { backendFlag, withBackend } from '../backend.ts';
import { defineCommand } from '../command.ts';
import { DEFAULT_TRAIN_CONFIG, defaultLearningRate, modelCodec, optimizerCodec, type TrainConfig } from '../config.ts';
import { CliError } from '../errors.ts';
import { positiveInt, positiveNumber, switchCodec } from '../flags.ts';
import { lossOf, netOf, optimizerOf, parameterCount, planOfConfig } from '../models.ts';

const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bench');

/** The benchmark scripts available (`bench/<name>.ts`). */
export function benchScripts(dir = BENCH_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Runs `bench/<name>.ts` in a child Node with tsx; returns its exit code. */
function runScript(name: string, args: readonly string[]): number {
  const file = join(BENCH_DIR, `${name}.ts`);
  if (!existsSync(file)) {
    const have = benchScripts();
    throw new CliError(`bench ${name}: no bench/${name}.ts in this installation (expected one of ${have.length === 0 ? 'none: bench/ is missing' : have.join(', ')})`);
  }
  const tsx = import.meta.resolve('tsx');
  const r = spawnSync(process.execPath, ['--import', tsx, file, ...args], { stdio: 'inherit', cwd: resolve(BENCH_DIR, '..') });
  return r.status ?? 1;
}

export const benchCommand = defineCommand({
  name: 'bench',
  summary: 'time a training step, or run the benchmark suite',
  description:
    'Without arguments: compiles the training step of a model (forward, backward and the optimizer\'s update in one program, parameters ' +
    'updated in place), as fusegrad train runs it, and times it on random data after a few warm-up steps; prints milliseconds per step and ' +
    'samples per second (fusegrad graph shows the kernels). With --suite: ' +
    'runs bench/run.ts, the full benchmark suite. With a name: runs bench/<name>.ts (see --list). Times depend on the machine; compare ' +
    'runs on the same one.',
  flags: {
    model: { codec: modelCodec, help: 'linreg, softmax, mlp or mlp-dropout', placeholder: '<name>', defaultText: 'mlp' },
    hidden: { codec: positiveInt, help: 'hidden units of the MLPs', placeholder: '<n>', defaultText: '256' },
    optimizer: { codec: optimizerCodec, help: 'sgd, adam or rmsprop', placeholder: '<name>', defaultText: 'sgd' },
    batchSize: { codec: positiveInt, help: 'samples per step', placeholder: '<n>', defaultText: '256' },
    seconds: { codec: positiveNumber, help: 'how long to time (after warm-up)', placeholder: '<s>', defaultText: '2' },
    steps: { codec: positiveInt, help: 'time exactly this many steps instead of --seconds', placeholder: '<n>' },
    backend: backendFlag,
    suite: { codec: switchCodec, help: 'run the benchmark suite (bench/run.ts)' },
    list: { codec: switchCodec, help: 'list the benchmark scripts' },
  },
  positionals: [{ name: 'script', help: 'a benchmark script of bench/ to run, e.g. compiler; arguments after -- go to it', required: false, rest: true }],
  examples: [
    ['fusegrad bench', 'time the default MLP\'s training step (batch 256)'],
    ['fusegrad bench --model softmax --batch-size 1024 --seconds 5', 'a larger batch of softmax regression'],
    ['fusegrad bench compiler', 'run bench/compiler.ts (fused versus unfused steps)'],
    ['fusegrad bench --suite', 'run every benchmark (bench/run.ts)'],
    ['fusegrad bench --suite -- --quick --no-peers', 'a shorter suite without the other frameworks'],
  ],
  async run({ flags, positionals }, ctx) {
    if (flags.list === true) {
      ctx.stdout.write(`${benchScripts().join('\n')}\n`);
      return 0;
    }
    // With --suite every positional goes to bench/run.ts; otherwise the first names the script.
    if (flags.suite === true) return runScript('run', positionals);
    const [script, ...args] = positionals;
    if (script !== undefined) return runScript(script, args);

    const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, model: flags.model ?? 'mlp', hidden: flags.hidden ?? DEFAULT_TRAIN_CONFIG.hidden, optimizer: flags.optimizer ?? 'sgd' };
    const plan = planOfConfig(config);
    const optimizer = optimizerOf({ ...config, lr: defaultLearningRate(config.model, config.optimizer) });
    const batch = flags.batchSize ?? 256;
    await withBackend(flags.backend ?? 'auto', ctx, async (chosen) => {
      const backend = chosen.backend;
      const net = netOf(plan);
      // The step training runs: forward, loss, gradients and the optimizer's update in one program.
      const step = trainStep(net, lossOf(plan), optimizer, { backend });
      let params = reinit(net.init(0, { backend }), 0, { '*.weight': normal(0, 0.01), '*.bias': zeros() });
      let state = optimizer.init(params);
      const key = keyFromSeed(0);
      const x = fromHost(backend, uniformArray(foldIn(key, 100), batch * 784), [batch, 1, 28, 28], 'f32');
      const y = fromHost(backend, Array.from({ length: batch }, (_, i) => i % 10), [batch], 'i32');
      let loss = Number.NaN;
      let stepIndex = 0;
      const run = async (): Promise<void> => {
        const r = step(params, state, x, y, { key: stepKey(0, 1, stepIndex++) });
        params = r.params;
        state = r.state;
        loss = (await r.loss.data())[0] ?? Number.NaN; // reading the loss waits for the step, as training does
      };
      const t0 = performance.now();
      await run(); // the first call traces and compiles
      const firstMs = performance.now() - t0;
      for (let i = 0; i < 2; i++) await run();
      let steps = 0;
      const limitMs = (flags.seconds ?? 2) * 1000;
      const start = performance.now();
      while (flags.steps === undefined ? performance.now() - start < limitMs : steps < flags.steps) {
        await run();
        steps++;
      }
      const ms = (performance.now() - start) / steps;
      const out = ctx.stdout;
      out.write(`${plan.description}: ${parameterCount(plan)} parameters, batch ${batch}, ${optimizer.name}\n`);
      out.write(`backend ${chosen.reason}\n`);
      out.write(`${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}\n`);
      out.write(`  first step   ${firstMs.toFixed(0)} ms (trace and compile included)\n`);
      out.write(`  step         ${ms >= 10 ? ms.toFixed(1) : ms.toFixed(3)} ms (mean of ${steps} steps after 3 warm-up steps)\n`);
      out.write(`  throughput   ${formatRate((batch * 1000) / ms)} samples/s\n`);
      out.write(`  final loss   ${Number.isFinite(loss) ? loss.toFixed(4) : String(loss)}\n`);
    });
    return 0;
  },
});
