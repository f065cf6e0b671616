#!/usr/bin/env node
// The `fusegrad` command. fusegrad ships TypeScript sources; this launcher registers tsx's loader
// in this process (Node >= 20.6) and runs the CLI, so `npx fusegrad train` works without a build
// step. In-process rather than a child process so that Ctrl-C reaches exactly one fusegrad.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
