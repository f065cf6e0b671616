/**
 * Runs one example by its section number: `npm run example -- 3.10 [--fast] [--backend cpu]`.
 * The flags after the section go to the example. Without a section, lists the examples.
 *
 * Each example is a file `examples/<section>-<name>.ts` and can also be run directly:
 * `npx tsx examples/3.10-mlp-concise.ts`.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_NAMES } from './d2l.ts';

const EXAMPLES_DIR = fileURLToPath(new URL('.', import.meta.url));

/** A section number: `3.2`, `3.10`. */
const SECTION = /^\d+\.\d+$/;

/** The example files by section, in section order. */
export function listExamples(dir: string = EXAMPLES_DIR): Array<{ readonly section: string; readonly file: string }> {
  const found: Array<{ section: string; file: string }> = [];
  for (const name of readdirSync(dir)) {
    const m = /^(\d+\.\d+)-[\w.-]+\.ts$/.exec(name);
    if (m !== null) found.push({ section: m[1]!, file: join(dir, name) });
  }
  const key = (s: string): number[] => s.split('.').map(Number);
  return found.sort((a, b) => {
    const [a1, a2] = key(a.section);
    const [b1, b2] = key(b.section);
    return a1! - b1! || a2! - b2!;
  });
}

/** The file of `section`, or a message saying what sections there are. */
export function resolveExample(section: string, dir: string = EXAMPLES_DIR): { readonly file: string } | { readonly error: string } {
  const all = listExamples(dir);
  const known = all.map((e) => e.section).join(', ');
  if (!SECTION.test(section)) return { error: `expected a section number such as 3.2, got ${JSON.stringify(section)}; the examples are ${known}` };
  const hit = all.find((e) => e.section === section);
  return hit === undefined ? { error: `no example for section ${section}; the examples are ${known}` } : { file: hit.file };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const [section, ...flags] = process.argv.slice(2);
  if (section === undefined || section === '--help' || section === '-h') {
    console.log(`usage: npm run example -- <section> [--fast] [--backend ${BACKEND_NAMES.join('|')}] [--out <dir>]\n`);
    for (const e of listExamples()) console.log(`  ${e.section.padEnd(5)} examples/${e.file.slice(EXAMPLES_DIR.length)}`);
    process.exit(section === undefined ? 2 : 0);
  }
  const resolved = resolveExample(section);
  if ('error' in resolved) {
    console.error(`example: ${resolved.error}`);
    process.exit(2);
  }
  const child = spawn(process.execPath, ['--import', 'tsx', resolved.file, ...flags], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
}
