/**
 * `fusegrad bench`: a quick measurement of one compiled training step (forward, backward, SGD
 * update, parameters donated) on random data — milliseconds per step, samples per second,
 * kernels per step — or, with `--suite` or a name, the benchmark scripts in `bench/`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { foldIn, keyFromSeed, normalArray, uniformArray } from '../../../compiler/random.ts';
import { fromHost, type DeviceArray } from '../../../runtime/array.ts';
import { formatRate } from '../../report/format.ts';
import { backendFlag, withBackend } from '../backend.ts';
import { defineCommand } from '../command.ts';
import { DEFAULT_TRAIN_CONFIG, modelCodec } from '../config.ts';
import { CliError } from '../errors.ts';
import { positiveInt, positiveNumber, switchCodec } from '../flags.ts';
import { parameterCount, planOfConfig } from '../models.ts';
import { compileSgdStep } from '../step.ts';

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
    'Without arguments: compiles one training step of a model (forward, backward and SGD update, parameters updated in place) and times ' +
    'it on random data, after a few warm-up steps; prints milliseconds per step, samples per second and kernels per step. With --suite: ' +
    'runs bench/run.ts, the full benchmark suite. With a name: runs bench/<name>.ts (see --list). Times depend on the machine; compare ' +
    'runs on the same one.',
  flags: {
    model: { codec: modelCodec, help: 'linreg, softmax, mlp or mlp-dropout', placeholder: '<name>', defaultText: 'mlp' },
    hidden: { codec: positiveInt, help: 'hidden units of the MLPs', placeholder: '<n>', defaultText: '256' },
    batchSize: { codec: positiveInt, help: 'samples per step', placeholder: '<n>', defaultText: '256' },
    seconds: { codec: positiveNumber, help: 'how long to time (after warm-up)', placeholder: '<s>', defaultText: '2' },
    steps: { codec: positiveInt, help: 'time exactly this many steps instead of --seconds', placeholder: '<n>' },
    backend: backendFlag,
    suite: { codec: switchCodec, help: 'run the benchmark suite (bench/run.ts)' },
    list: { codec: switchCodec, help: 'list the benchmark scripts' },
  },
  positionals: [{ name: 'script', help: 'a benchmark script of bench/ to run, e.g. compiler', required: false }],
  examples: [
    ['fusegrad bench', 'time the default MLP\'s training step (batch 256)'],
    ['fusegrad bench --model softmax --batch-size 1024 --seconds 5', 'a larger batch of softmax regression'],
    ['fusegrad bench compiler', 'run bench/compiler.ts (fused versus unfused steps)'],
    ['fusegrad bench --suite', 'run every benchmark (bench/run.ts)'],
  ],
  async run({ flags, positionals }, ctx) {
    if (flags.list === true) {
      ctx.stdout.write(`${benchScripts().join('\n')}\n`);
      return 0;
    }
    const script = positionals[0];
    if (flags.suite === true && script !== undefined) throw new CliError(`bench: give either --suite or a script name (${script}), not both`);
    if (flags.suite === true) return runScript('run', []);
    if (script !== undefined) return runScript(script, []);

    const model = flags.model ?? 'mlp';
    const plan = planOfConfig({ ...DEFAULT_TRAIN_CONFIG, model, hidden: flags.hidden ?? DEFAULT_TRAIN_CONFIG.hidden });
    const batch = flags.batchSize ?? 256;
    await withBackend(flags.backend ?? 'auto', ctx, async (chosen) => {
      const backend = chosen.backend;
      const t0 = performance.now();
      const step = compileSgdStep(plan, batch, backend);
      const compileMs = performance.now() - t0;

      const key = keyFromSeed(0);
      const nParams = step.graph.params.length;
      let params: DeviceArray[] = step.graph.params.map((p, i) => fromHost(backend, normalArray(foldIn(key, i), p.node.shape.reduce((a, b) => a * b, 1), 0, 0.01), p.node.shape, 'f32'));
      const features = step.graph.x.shape[1] ?? 1;
      const x = fromHost(backend, uniformArray(foldIn(key, 100), batch * features), [batch, features], 'f32');
      const y = fromHost(backend, Array.from({ length: batch }, (_, i) => i % 10), [batch], 'i32');
      const dropoutKey = step.graph.key === undefined ? [] : [fromHost(backend, [1, 2], [2], 'i32')];
      const lr = fromHost(backend, [0.01], [], 'f32');
      let loss = 0;
      const run = async (): Promise<void> => {
        const out = step.program.run([...params, x, y, ...dropoutKey, lr]);
        params = out.slice(0, nParams);
        const l = out[nParams];
        loss = l === undefined ? Number.NaN : ((await l.data())[0] ?? Number.NaN); // reading the loss waits for the step, as training does
      };
      for (let i = 0; i < 3; i++) await run();
      let steps = 0;
      const limitMs = (flags.seconds ?? 2) * 1000;
      const start = performance.now();
      while (flags.steps === undefined ? performance.now() - start < limitMs : steps < flags.steps) {
        await run();
        steps++;
      }
      const ms = (performance.now() - start) / steps;
      const out = ctx.stdout;
      out.write(`${plan.description}: ${parameterCount(plan)} parameters, batch ${batch}, SGD\n`);
      out.write(`backend ${chosen.reason}; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}\n`);
      out.write(`  compile      ${compileMs.toFixed(0)} ms (${step.program.kernels.length} kernels per step)\n`);
      out.write(`  step         ${ms >= 10 ? ms.toFixed(1) : ms.toFixed(3)} ms (mean of ${steps} steps after 3 warm-up steps)\n`);
      out.write(`  throughput   ${formatRate((batch * 1000) / ms)} samples/s\n`);
      out.write(`  final loss   ${Number.isFinite(loss) ? loss.toFixed(4) : String(loss)}\n`);
    });
    return 0;
  },
});
