/**
 * The `fusegrad` command as a user runs it: spawned processes on a small generated Fashion-MNIST
 * (300 training and 100 test images written as IDX files into a temp dir, passed with --data or
 * FUSEGRAD_DATA). Runs are tiny (a 16-unit MLP, a few steps per epoch) so the whole file takes
 * seconds per test.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { decodeMetricsJson } from '../../src/io/metrics.ts';
import { RunConfigCodec } from '../../src/cli/config.ts';
import { main } from '../../src/cli/main.ts';
import { architectureOf, planOfConfig } from '../../src/cli/models.ts';
import { TrainMetaCodec } from '../../src/cli/train-state.ts';
import { runCli, startCli, tempDir, writeSmallFashionMnist, type CliResult } from './helpers.ts';

const tmp = tempDir('main');
after(() => tmp.cleanup());
const cwd = tmp.dir;
const data = join(cwd, 'data');
/** A small, fast configuration; `--backend cpu` keeps GPU probing out of the tests. */
const BASE = ['--data', data, '--hidden', '16', '--backend', 'cpu'];
const SMALL = [...BASE, '--batch-size', '50'];

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
/** Hashes of every file in a folder, to show that a failed command touched nothing. */
const snapshot = (dir: string): Record<string, string> => Object.fromEntries(readdirSync(dir).map((f) => [f, sha(join(dir, f))]));
const ok = (r: CliResult): CliResult => {
  assert.equal(r.status, 0, `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
};

before(() => {
  writeSmallFashionMnist(data);
});

describe('fusegrad train', () => {
  let trained: CliResult;
  const run = join(cwd, 'runs', 'first');
  before(async () => {
    trained = await runCli(['train', ...SMALL, '--epochs', '2', '--name', 'first'], cwd);
  });

  test('writes a valid run folder', () => {
    ok(trained);
    for (const f of ['config.json', 'metrics.json', 'metrics.csv', 'curves.svg', 'model.safetensors', 'optimizer.safetensors']) assert.ok(existsSync(join(run, f)), `${f} missing`);
    const config = RunConfigCodec.decode(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')));
    assert.ok(E.isRight(config));
    assert.deepEqual({ ...config.right.train }, { ...config.right.train, model: 'mlp', hidden: 16, batchSize: 50, epochs: 2, lr: 0.5, optimizer: 'sgd', initStd: 0.01, seed: 0 });
    assert.equal(config.right.data, data);

    const rows = decodeMetricsJson(readFileSync(join(run, 'metrics.json'), 'utf8'), 'metrics.json');
    assert.ok(E.isRight(rows));
    assert.deepEqual(rows.right.map((r) => r['epoch']), [1, 2]);
    for (const r of rows.right) for (const k of ['train_loss', 'train_acc', 'test_acc', 'seconds']) assert.equal(typeof r[k], 'number', k);
    const csv = readFileSync(join(run, 'metrics.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'epoch,train_loss,train_acc,test_loss,test_acc,seconds');
    assert.equal(csv.length, 3);
    const svg = readFileSync(join(run, 'curves.svg'), 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /train loss/);
    assert.match(svg, /test acc/);
  });

  test('the checkpoint is PyTorch-named safetensors of the model, with where the run stands', async () => {
    const plan = planOfConfig({ model: 'mlp', hidden: 16, dropout1: 0.2, dropout2: 0.5 });
    const ckpt = await loadCheckpoint(run, { params: architectureOf(plan), meta: TrainMetaCodec });
    assert.ok(E.isRight(ckpt), E.isLeft(ckpt) ? ckpt.left.message : '');
    assert.deepEqual(Object.keys(ckpt.right.params).sort(), ['1.bias', '1.weight', '3.bias', '3.weight']);
    assert.equal(ckpt.right.meta.epochs_done, 2);
    assert.equal(ckpt.right.meta.steps_done, 0);
    assert.equal(ckpt.right.meta.optimizer_step, 12); // 300 samples / batch 50 × 2 epochs
  });

  test('prints the per-epoch table and a summary; progress goes to stderr as plain lines under CI', () => {
    assert.match(trained.stdout, /epoch +train loss +train acc +test loss +test acc +seconds/);
    assert.match(trained.stdout, /^ +1\/2 /m);
    assert.match(trained.stdout, /^ +2\/2 /m);
    assert.match(trained.stdout, /trained 2 epochs in/);
    assert.match(trained.stdout, /saved {2}runs\/first/);
    assert.match(trained.stderr, /^backend: cpu/m);
    assert.match(trained.stderr, /training mlp 784-16-10 relu on cpu: 2 epochs × 6 steps, batch 50, 300 training samples/);
    assert.match(trained.stderr, /^epoch 1\/2 +50% +3\/6 +loss \d/m);
    assert.doesNotMatch(trained.stderr, /\r|\x1b\[/);
  });

  test('one compilation per batch shape for the whole run: checkpointing each epoch does not restart the loop', async () => {
    // Batch 64: four full batches and a short one of 44; the 100 test images in one evaluation call.
    const r = ok(await runCli(['train', ...BASE, '--batch-size', '64', '--epochs', '3', '--name', 'compiled-once'], cwd, { FUSEGRAD_DEBUG: '1' }));
    const traced = (name: string): number => r.stderr.split('\n').filter((l) => l === `[fusegrad] ${name}: traced graph`).length;
    assert.equal(traced('train step'), 2);
    assert.equal(traced('eval step'), 1);
    const rows = decodeMetricsJson(readFileSync(join(cwd, 'runs', 'compiled-once', 'metrics.json'), 'utf8'), 'metrics.json');
    assert.ok(E.isRight(rows) && rows.right.length === 3, 'a checkpoint and metrics row per epoch');
  });

  test('eval prints the test accuracy and writes the confusion matrix', async () => {
    const r = ok(await runCli(['eval', 'first', '--backend', 'cpu'], cwd));
    assert.match(r.stdout, /test accuracy \d\.\d{4} on 100 images/);
    assert.match(r.stdout, /confusion matrix/);
    assert.match(r.stdout, /^9 ankle boot /m);
    assert.match(readFileSync(join(run, 'confusion.svg'), 'utf8'), /^<svg/);
  });

  test('predict draws images with true and predicted labels', async () => {
    const out = join(cwd, 'pred.svg');
    const r = ok(await runCli(['predict', 'last', '--count', '5', '--out', out, '--backend', 'cpu'], cwd));
    assert.equal(r.stdout.split('\n').filter((l) => /^ +#\d/.test(l)).length, 5);
    assert.match(r.stdout, /#0 +(ok|WRONG) +true t-shirt +predicted /);
    const svg = readFileSync(out, 'utf8');
    assert.match(svg, /^<svg/);
    assert.match(svg, /t-shirt/);
  });

  test('finds the data through FUSEGRAD_DATA', async () => {
    const r = ok(await runCli(['eval', 'first', '--backend', 'cpu', '--data', data], cwd, { FUSEGRAD_DATA: data }));
    assert.match(r.stdout, /test accuracy/);
    const moved = tempDir('env');
    try {
      // No --data and no data in config: only the environment can say where it is.
      mkdirSync(join(moved.dir, 'runs'));
      cpSync(run, join(moved.dir, 'runs', 'x'), { recursive: true });
      const cfg = JSON.parse(readFileSync(join(moved.dir, 'runs', 'x', 'config.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(moved.dir, 'runs', 'x', 'config.json'), JSON.stringify({ ...cfg, data: null }));
      const e = ok(await runCli(['eval', 'x', '--backend', 'cpu'], moved.dir, { FUSEGRAD_DATA: data }));
      assert.match(e.stdout, new RegExp(`on 100 images \\(${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    } finally {
      moved.cleanup();
    }
  });
});

describe('resume', () => {
  const FLAGS = [...SMALL, '--model', 'mlp-dropout', '--optimizer', 'adam', '--seed', '7'];

  test('train 1 epoch then --resume to 2 equals 2 epochs at once, bit for bit', async () => {
    const [whole, part] = await Promise.all([
      runCli(['train', ...FLAGS, '--epochs', '2', '--name', 'whole'], cwd),
      runCli(['train', ...FLAGS, '--epochs', '1', '--name', 'part'], cwd),
    ]);
    ok(whole);
    ok(part);
    const resumed = ok(await runCli(['train', '--resume', 'part', '--epochs', '2', '--backend', 'cpu'], cwd));
    assert.match(resumed.stderr, /resuming runs\/part after epoch 1/);
    for (const f of ['model.safetensors', 'optimizer.safetensors']) assert.equal(sha(join(cwd, 'runs', 'part', f)), sha(join(cwd, 'runs', 'whole', f)), f);
    const metrics = (name: string): string[] =>
      readFileSync(join(cwd, 'runs', name, 'metrics.csv'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.replace(/,[^,]*$/, '')); // without the seconds column
    assert.deepEqual(metrics('part'), metrics('whole'));
  });

  test('SIGINT finishes the step, saves a valid checkpoint, and resuming ends where an uninterrupted run does', async () => {
    // Many short steps (batch 5) and many epochs, so the signal arrives mid-run.
    const flags = [...BASE, '--model', 'mlp-dropout', '--optimizer', 'adam', '--seed', '7', '--batch-size', '5'];
    const long = startCli(['train', ...flags, '--epochs', '50', '--name', 'stopped'], cwd);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/^epoch 1\/50 +25%/m.test(long.output())) {
          clearInterval(timer);
          long.child.kill('SIGINT');
          resolve();
        }
      }, 20);
      long.done.then(() => {
        clearInterval(timer);
        reject(new Error(`finished before it could be interrupted:\n${long.output()}`));
      }, reject);
    });
    const r = await long.done;
    assert.equal(r.status, 130, r.stderr);
    assert.match(r.stderr, /interrupted: saved the checkpoint at (epoch \d+, step \d+|the end of epoch \d+) in runs\/stopped/);
    const plan = planOfConfig({ model: 'mlp-dropout', hidden: 16, dropout1: 0.2, dropout2: 0.5 });
    const ckpt = await loadCheckpoint(join(cwd, 'runs', 'stopped'), { params: architectureOf(plan), meta: TrainMetaCodec });
    assert.ok(E.isRight(ckpt), E.isLeft(ckpt) ? ckpt.left.message : '');
    const { epochs_done: done, steps_done: steps } = ckpt.right.meta;
    assert.ok(done + steps > 0, 'it trained at least one step before stopping');
    assert.ok(done < 50);

    // Finish the epoch it stopped in, and compare with a run that was never interrupted.
    const target = String(done + 1);
    const [resumed, reference] = await Promise.all([
      runCli(['train', '--resume', 'stopped', '--epochs', target, '--backend', 'cpu'], cwd),
      runCli(['train', ...flags, '--epochs', target, '--name', 'reference'], cwd),
    ]);
    ok(resumed);
    ok(reference);
    for (const f of ['model.safetensors', 'optimizer.safetensors']) assert.equal(sha(join(cwd, 'runs', 'stopped', f)), sha(join(cwd, 'runs', 'reference', f)), f);
  });
});

describe('bad input', () => {
  const runsDir = join(cwd, 'bad', 'runs');
  const good = join(runsDir, 'good');
  const corrupt = join(runsDir, 'corrupt');
  const other = join(runsDir, 'other');
  const badCwd = join(cwd, 'bad');
  before(async () => {
    mkdirSync(badCwd, { recursive: true });
    ok(await runCli(['train', ...SMALL, '--epochs', '1', '--name', 'good'], badCwd));
    cpSync(good, corrupt, { recursive: true });
    const bytes = readFileSync(join(corrupt, 'model.safetensors'));
    writeFileSync(join(corrupt, 'model.safetensors'), bytes.subarray(0, bytes.length - 100)); // truncated
    cpSync(good, other, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(other, 'config.json'), 'utf8')) as { train: Record<string, unknown> };
    writeFileSync(join(other, 'config.json'), JSON.stringify({ ...cfg, train: { ...cfg.train, hidden: 32 } }));
    writeFileSync(join(badCwd, 'negative.json'), '{"lr": -1}');
  });

  const cases: ReadonlyArray<{ readonly args: readonly string[]; readonly code: number; readonly message: RegExp }> = [
    { args: ['train', '--model', 'cnn'], code: 2, message: /^fusegrad train: error: --model: expected one of linreg, softmax, mlp, mlp-dropout, got "cnn"$/ },
    { args: ['train', '--lr', '-0.1'], code: 2, message: /^fusegrad train: error: --lr: expected a positive number, got "-0\.1"$/ },
    { args: ['train', '--epochs', 'three'], code: 2, message: /^fusegrad train: error: --epochs: expected a positive integer, got "three"$/ },
    { args: ['train', '--ephocs', '3'], code: 2, message: /^fusegrad train: error: unknown flag --ephocs for fusegrad train \(did you mean --epochs\?\)/ },
    { args: ['train', '--data', 'missing-dir'], code: 1, message: /^fusegrad train: error: --data missing-dir: no such directory/ },
    { args: ['train', '--data', '.'], code: 1, message: /^fusegrad train: error: --data \.: missing train-images-idx3-ubyte\[\.gz\]/ },
    { args: ['train', '--config', 'nope.json'], code: 1, message: /^fusegrad train: error: --config nope\.json: file not found$/ },
    { args: ['train', '--config', 'negative.json'], code: 1, message: /^fusegrad train: error: --config negative\.json: lr: expected a positive number, got -1$/ },
    { args: ['train', '--resume', 'nope'], code: 1, message: /^fusegrad train: error: --resume nope: no such run folder runs\/nope/ },
    { args: ['train', '--resume', 'corrupt', '--epochs', '3'], code: 1, message: /^fusegrad train: error: checkpoint runs\/corrupt\/model\.safetensors: byte offset \d+: / },
    { args: ['train', '--resume', 'other', '--epochs', '3'], code: 1, message: /^fusegrad train: error: checkpoint runs\/other\/model\.safetensors: tensor 1\.weight has shape \[16, 784\], expected \[32, 784\]$/ },
    { args: ['train', '--resume', 'good', '--lr', '0.1'], code: 1, message: /^fusegrad train: error: --lr 0\.1: cannot change when resuming runs\/good \(it was trained with lr 0\.5\)/ },
    { args: ['train', '--resume', 'good'], code: 1, message: /^fusegrad train: error: --resume good: runs\/good has already trained 1 of 1 epochs/ },
    { args: ['train', ...SMALL, '--name', 'good'], code: 1, message: /^fusegrad train: error: --name good: runs\/good already exists/ },
    { args: ['eval', 'corrupt', '--backend', 'cpu'], code: 1, message: /^fusegrad eval: error: checkpoint runs\/corrupt\/model\.safetensors: byte offset \d+: / },
    { args: ['eval', 'other', '--backend', 'cpu'], code: 1, message: /^fusegrad eval: error: checkpoint runs\/other\/model\.safetensors: tensor 1\.weight has shape \[16, 784\], expected \[32, 784\]$/ },
    { args: ['eval', '--weights', 'missing.safetensors', '--model', 'mlp'], code: 1, message: /^fusegrad eval: error: --weights missing\.safetensors: file not found/ },
    { args: ['predict', 'good', '--count', '0'], code: 2, message: /^fusegrad predict: error: --count: expected a positive integer, got "0"$/ },
    { args: ['graph', '--model', 'resnet'], code: 2, message: /^fusegrad graph: error: --model: expected one of linreg, softmax, mlp, mlp-dropout, got "resnet"$/ },
    { args: ['trian'], code: 2, message: /^fusegrad: error: unknown command "trian" \(did you mean train\?\)/ },
  ];

  test('each gets a one-line error naming the flag or file, a non-zero exit code, and touches nothing saved', async () => {
    const before = { good: snapshot(good), corrupt: snapshot(corrupt), other: snapshot(other) };
    const runsBefore = readdirSync(runsDir).sort();
    // Two at a time: the machine may have two cores.
    const results: CliResult[] = [];
    for (let i = 0; i < cases.length; i += 2) results.push(...(await Promise.all(cases.slice(i, i + 2).map((c) => runCli(c.args, badCwd)))));
    cases.forEach((c, i) => {
      const r = results[i]!;
      const lines = r.stderr.split('\n').filter((l) => l !== '' && !/^(Warning|\s+at |backend:|data:)/.test(l));
      assert.equal(r.status, c.code, `fusegrad ${c.args.join(' ')}: exit ${r.status}\n${r.stderr}`);
      assert.equal(lines.length, 1, `fusegrad ${c.args.join(' ')}: expected one line, got\n${r.stderr}`);
      assert.match(lines[0] ?? '', c.message, `fusegrad ${c.args.join(' ')}`);
    });
    assert.deepEqual({ good: snapshot(good), corrupt: snapshot(corrupt), other: snapshot(other) }, before);
    assert.deepEqual(readdirSync(runsDir).sort(), runsBefore, 'a failed command created a run folder');
  });
});

describe('help, graph and gradcheck', () => {
  test('--help everywhere, with examples', async () => {
    const [top, trainHelp] = await Promise.all([runCli(['--help'], cwd), runCli(['train', '--help'], cwd)]);
    for (const c of ['train', 'eval', 'predict', 'graph', 'gradcheck', 'bench']) assert.match(ok(top).stdout, new RegExp(`^  ${c} +\\S`, 'm'));
    assert.match(ok(trainHelp).stdout, /--batch-size <n> +samples per step \(default 256\)/);
    // The other commands in this process (the same code path, without a process start each).
    for (const c of ['train', 'eval', 'predict', 'graph', 'gradcheck', 'bench']) {
      let text = '';
      const stream = { write: (s: string) => (text += s) };
      const code = await main([c, '-h'], { stdout: stream, stderr: stream, env: {} });
      assert.equal(code, 0);
      assert.match(text, new RegExp(`^usage: fusegrad ${c}`));
      assert.match(text, /\nexamples:\n  fusegrad \w+/);
    }
  });

  test('graph writes DOT for the forward and backward graphs and the kernels', async () => {
    const out = join(cwd, 'graphs');
    const r = ok(await runCli(['graph', '--model', 'softmax', '--batch-size', '8', '--out', out], cwd));
    for (const f of ['forward.dot', 'backward.dot', 'kernels.dot', 'kernels.txt', 'graphs.txt']) assert.ok(existsSync(join(out, f)), f);
    assert.match(readFileSync(join(out, 'forward.dot'), 'utf8'), /^digraph /);
    assert.match(readFileSync(join(out, 'backward.dot'), 'utf8'), /d1\.weight/);
    assert.match(readFileSync(join(out, 'kernels.txt'), 'utf8'), /program: \d+ kernels/);
    assert.match(r.stdout, /SGD step +\d+ kernels/);
    assert.match(r.stdout, /SVG: /);
  });

  test('gradcheck passes for every model and prints a table', async () => {
    const r = ok(await runCli(['gradcheck'], cwd));
    for (const m of ['linreg', 'softmax', 'mlp', 'mlp-dropout']) assert.match(r.stdout, new RegExp(`^${m} +1st +1\\.weight .* pass$`, 'm'));
    assert.match(r.stdout, /^all passed: \d+ comparisons/m);
  });
});
