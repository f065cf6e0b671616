import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { formatHelp } from '../../src/cli/command.ts';
import { oneOf, parseFlags, positiveInt, positiveNumber, suggest, switchCodec } from '../../src/cli/flags.ts';

const specs = {
  lr: { codec: positiveNumber, help: 'learning rate', placeholder: '<x>', defaultText: '0.5' },
  batchSize: { codec: positiveInt, help: 'samples per step', placeholder: '<n>' },
  model: { codec: oneOf(['linreg', 'softmax', 'mlp']), help: 'which model', placeholder: '<name>' },
  quick: { codec: switchCodec, help: 'be quick' },
};

const parse = (argv: string[]) => parseFlags('fusegrad train', argv, specs);
const errorOf = (argv: string[]): string => {
  const r = parse(argv);
  assert.ok(E.isLeft(r), `expected ${argv.join(' ')} to fail`);
  return r.left.message;
};

describe('parseFlags', () => {
  test('decodes values with their codecs, in both spellings', () => {
    const r = parse(['--lr', '0.1', '--batch-size=64', '--model', 'mlp', '--quick', 'pos']);
    assert.ok(E.isRight(r));
    assert.deepEqual(r.right.flags, { lr: 0.1, batchSize: 64, model: 'mlp', quick: true });
    assert.deepEqual(r.right.positionals, ['pos']);
    assert.equal(r.right.help, false);
  });

  test('-h and --help ask for help; -- ends the flags', () => {
    const r = parse(['-h', '--', '--lr']);
    assert.ok(E.isRight(r));
    assert.equal(r.right.help, true);
    assert.deepEqual(r.right.positionals, ['--lr']);
  });

  test('a negative number is read as the value, then rejected naming the flag', () => {
    assert.equal(errorOf(['--lr', '-0.1']), '--lr: expected a positive number, got "-0.1"');
    assert.equal(errorOf(['--lr=abc']), '--lr: expected a positive number, got "abc"');
    assert.equal(errorOf(['--batch-size', '2.5']), '--batch-size: expected a positive integer, got "2.5"');
  });

  test('an unknown choice lists the choices', () => {
    assert.equal(errorOf(['--model', 'cnn']), '--model: expected one of linreg, softmax, mlp, got "cnn"');
  });

  test('a missing value, an unknown flag and a repeated flag are one-line errors', () => {
    assert.equal(errorOf(['--lr']), '--lr: expected <x> (a positive number) after it, got nothing');
    assert.equal(errorOf(['--lr', '--quick']), '--lr: expected <x> (a positive number) after it, got "--quick"');
    assert.equal(errorOf(['--batchsize', '3']), 'unknown flag --batchsize for fusegrad train (did you mean --batch-size?); see fusegrad train --help');
    assert.equal(errorOf(['--lr', '1', '--lr', '2']), '--lr is given more than once');
  });

  test('usage errors exit with code 2', () => {
    const r = parse(['--nope']);
    assert.ok(E.isLeft(r));
    assert.equal(r.left.exitCode, 2);
  });
});

describe('suggest', () => {
  test('offers a close word, and nothing for a far one', () => {
    assert.equal(suggest('epoch', ['epochs', 'lr']), 'epochs');
    assert.equal(suggest('optimiser', ['optimizer', 'seed']), 'optimizer');
    assert.equal(suggest('banana', ['epochs', 'lr']), undefined);
  });
});

describe('formatHelp', () => {
  test('lists every flag with its placeholder and default, and the examples', () => {
    const help = formatHelp({
      name: 'train',
      summary: 's',
      description: 'Trains a model.',
      flags: specs,
      examples: [['fusegrad train --lr 0.1', 'a smaller step']],
      run: async () => 0,
    });
    assert.match(help, /^usage: fusegrad train \[flags\]/);
    assert.match(help, /--lr <x> +learning rate \(default 0\.5\)/);
    assert.match(help, /--batch-size <n> +samples per step/);
    assert.match(help, /--quick +be quick/);
    assert.match(help, /-h, --help/);
    assert.match(help, /examples:\n  fusegrad train --lr 0\.1\n +a smaller step/);
  });
});

describe('command table', () => {
  test('main lists each command with the summary the command itself has', async () => {
    const { COMMANDS } = await import('../../src/cli/main.ts');
    for (const entry of COMMANDS) {
      const command = await entry.load();
      assert.equal(command.name, entry.name);
      assert.equal(command.summary, entry.summary, entry.name);
    }
  });

  test('--backend takes exactly the choices of runtime/select', async () => {
    const { BACKEND_NAMES } = await import('../../src/cli/config.ts');
    const { backendChoiceCodec } = await import('../../runtime/select.ts');
    assert.deepEqual([...BACKEND_NAMES].sort(), Object.keys(backendChoiceCodec.keys).sort());
  });
});
