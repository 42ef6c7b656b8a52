// SPDX-License-Identifier: MIT
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from './closestNames';
import { UsageError } from './types';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs in strict mode, with its errors turned into UsageError (exit 2, one line,
 * naming the command and the flag) instead of a TypeError with a stack.
 */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const raw = (err as Error).message;
    // "--bars -3": parseArgs takes -3 for a flag and explains over three lines; say it in one.
    const ambiguous = /^Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(raw);
    const unknown = /^Unknown option '--([^'=]+)'/.exec(raw);
    const message = ambiguous
      ? `${ambiguous[1]} needs a value; a value starting with a dash is written ${ambiguous[1]}=VALUE (e.g. ${ambiguous[1]}=-1)`
      : raw.replace(/\. To specify a positional argument.*$/s, '').replace(/\s*\n\s*/g, ' ') +
        (unknown ? didYouMean(unknown[1], Object.keys(options), '--') : '');
    throw new UsageError(`${command}: ${message}`, command);
  }
}

/**
 * Runs the parser of a flag's value, turning its error into a UsageError (exit 2, one line) that names the flag, e.g.
 * `generate: --key: "H major" is not a key: write a tonic A-G ...`.
 */
export function parseFlag<T>(command: string, flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`${command}: ${flag}: ${(error as Error).message.split('\n')[0]}`, command);
  }
}
