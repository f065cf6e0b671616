import { defineCommand } from '../command.ts';
import { CliError } from '../errors.ts';

export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'not yet',
  description: 'not yet',
  flags: {},
  examples: [],
  async run() {
    throw new CliError('not yet');
  },
});
