import { defineCommand } from '../command.ts';
import { CliError } from '../errors.ts';

export const predictCommand = defineCommand({
  name: 'predict',
  summary: 'not yet',
  description: 'not yet',
  flags: {},
  examples: [],
  async run() {
    throw new CliError('not yet');
  },
});
