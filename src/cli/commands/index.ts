// SPDX-License-Identifier: MIT
/**
 * The command registry: a plain ordered list (the order of `etude --help`).
 * To add a command, write src/cli/commands/<name>.ts exporting a CliCommand and add it here.
 */
import type { CliCommand } from '../types';
import { corporaCommand } from './corpora';
import { exportCommand } from './export';
import { importCommand } from './import';
import { statsCommand } from './stats';
import { trainCommand } from './train';

export const COMMANDS: readonly CliCommand[] = [importCommand, corporaCommand, statsCommand, exportCommand, trainCommand];
