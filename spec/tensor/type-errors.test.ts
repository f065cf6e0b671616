/**
 * The type tests' mistakes fail for the stated reason: spec/types/mismatch.ts is compiled
 * without its `@ts-expect-error` comments, and each commented line must get a diagnostic
 * containing the comment's message fragment, while no other line may fail.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const source = join(root, 'spec/types/mismatch.ts');

interface Expectation {
  readonly line: number;
  readonly fragment: string;
}

/** Runs tsc on a copy of mismatch.ts (comments removed) and returns its diagnostics by line. */
async function diagnosticsByLine(text: string): Promise<Map<number, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'fusegrad-types-'));
  try {
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: join(root, 'tsconfig.json'), compilerOptions: { noEmit: true }, include: ['mismatch.ts'] }),
    );
    await writeFile(join(dir, 'mismatch.ts'), text.replaceAll("'../../src/index.ts'", JSON.stringify(join(root, 'src/index.ts'))));
    const output = await new Promise<string>((resolve) => {
      execFile(join(root, 'node_modules/.bin/tsc'), ['-p', dir, '--pretty', 'false'], { cwd: dir }, (_err, stdout, stderr) =>
        resolve(stdout + stderr),
      );
    });
    const byLine = new Map<number, string>();
    let current: number | undefined;
    for (const line of output.split('\n')) {
      const m = /^mismatch\.ts\((\d+),\d+\): error/.exec(line);
      if (m !== null) current = Number(m[1]);
      else if (!line.startsWith(' ')) current = undefined;
      if (current !== undefined) byLine.set(current, `${byLine.get(current) ?? ''}${line}\n`);
    }
    if (byLine.size === 0 && output.trim() !== '') assert.fail(`tsc failed without diagnostics in the file:\n${output}`);
    return byLine;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('every @ts-expect-error in spec/types/mismatch.ts fails with its stated message, and nothing else fails', async () => {
  const lines = (await readFile(source, 'utf8')).split('\n');
  const expected: Expectation[] = [];
  const stripped = lines.map((line, i) => {
    const m = /^\s*\/\/ @ts-expect-error (.+)$/.exec(line);
    if (m === null) return line;
    expected.push({ line: i + 2, fragment: m[1]!.trim() }); // 1-based number of the next line
    return '//';
  });
  assert.ok(expected.length >= 30, `expected at least 30 mismatch cases, found ${expected.length}`);

  const diagnostics = await diagnosticsByLine(stripped.join('\n'));
  for (const { line, fragment } of expected) {
    const text = diagnostics.get(line);
    assert.ok(text !== undefined, `line ${line} (${lines[line - 1]?.trim()}) should fail with: ${fragment}`);
    assert.ok(text.includes(fragment), `line ${line}: expected a message containing\n  ${fragment}\ngot\n${text}`);
  }
  const unexpected = [...diagnostics.keys()].filter((l) => !expected.some((e) => e.line === l));
  assert.deepEqual(
    unexpected.map((l) => `${l}: ${diagnostics.get(l)}`),
    [],
    'lines without @ts-expect-error must type-check',
  );
});
