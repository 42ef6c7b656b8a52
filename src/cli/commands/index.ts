// SPDX-License-Identifier: MIT
/**
 * The command registry: a plain ordered list (the order of `etude --help`).
 * To add a command, write src/cli/commands/<name>.ts exporting a CliCommand and add one line here.
 * Modules load on demand: `etude corpora` must not pay for loading the training engines (tfjs
 * alone takes ~1.5 s), so only the command that runs is imported (all of them for --help).
 */
import type { CliCommand } from '../types';

export interface CommandEntry {
  name: string;
  load(): Promise<CliCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'import', load: async () => (await import('./import')).importCommand },
  { name: 'corpora', load: async () => (await import('./corpora')).corporaCommand },
  { name: 'pieces', load: async () => (await import('./pieces')).piecesCommand },
  { name: 'stats', load: async () => (await import('./stats')).statsCommand },
  { name: 'export', load: async () => (await import('./export')).exportCommand },
  { name: 'train', load: async () => (await import('./train')).trainCommand },
  { name: 'generate', load: async () => (await import('./generate')).generateCommand },
  {
    name: 'models',
    load: async () => (await import('./modelTransfer')).withModelTransfer((await import('./models')).modelsCommand),
  },
  { name: 'compose', load: async () => (await import('./compose')).composeCommand },
  { name: 'evaluate', load: async () => (await import('./evaluate')).evaluateCommand },
  { name: 'render', load: async () => (await import('./render')).renderCommand },
  { name: 'regenerate', load: async () => (await import('./regenerate')).regenerateCommand },
];
