// SPDX-License-Identifier: MIT
import { existsSync } from 'node:fs';
import { bundledDefaultModelPath } from '../../main/services/generation';
import { bundledModelDto, deleteModel, listLibraryModels, renameModel } from '../../main/services/models';
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand } from '../types';
import type { ModelDto } from '../../shared/dto';

const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : '-');

/** "  composes with epoch N" where the model composes with another epoch than its last, or with its average. */
function composingNote(model: ModelDto): string {
  const composing = model.composesWith;
  if (!composing || (composing.epoch === model.metrics?.epoch && !composing.average)) return '';
  return `  composes with epoch ${composing.epoch}${composing.average ? "'s weight average" : ''} (its best on validation)`;
}

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'List trained models and the bundled default; rename or delete one',
  usage: `etude models
       etude models rename OLD NEW
       etude models delete NAME

  One line per model: name, status, epochs, loss, validation loss, engine, corpus, and the epoch it composes with
  where that is not its last (its best on validation, or that epoch's weight average). A model that is training (here
  or in another Etude process on the same library) shows as training and cannot be renamed or deleted.`,
  async run(args, ctx) {
    const { positionals } = parseCommandArgs('models', args, {});
    const [action, ...rest] = positionals;
    if (action === 'delete') {
      if (rest.length !== 1) throw new UsageError('models delete: give one model name', 'models');
      const deleted = deleteModel(ctx.library(), { name: rest[0] });
      ctx.out(`deleted "${deleted.name}" and its checkpoints (its generations are kept)`);
      return 0;
    }
    if (action === 'rename') {
      if (rest.length !== 2) throw new UsageError('models rename: give the old and the new name', 'models');
      const renamed = renameModel(ctx.library(), { name: rest[0] }, rest[1]);
      ctx.out(`renamed "${rest[0]}" to "${renamed.name}"`);
      return 0;
    }
    if (action !== undefined)
      throw new UsageError(`models: unknown action "${action}" (rename, delete, or nothing to list)`, 'models');
    const lines: string[] = [];
    const defaultPath = bundledDefaultModelPath();
    if (existsSync(defaultPath)) {
      const d = bundledModelDto(defaultPath);
      const m = d.metrics ?? {};
      lines.push(
        d.status === 'ready'
          ? `default (bundled)  ready  epochs ${typeof m.epoch === 'number' ? m.epoch : 0}  loss ${fmt(m.loss)}  val ${fmt(m.valLoss)}  ${d.engine}  JSB chorales (soprano)`
          : `default (bundled)  unreadable: ${String(m.error)}`,
      );
    }
    for (const m of listLibraryModels(ctx.library())) {
      const metrics = m.metrics ?? {};
      lines.push(
        `${m.name}  ${m.status}  epochs ${typeof metrics.epoch === 'number' ? metrics.epoch : 0}  loss ${fmt(metrics.loss)}  val ${fmt(metrics.valLoss)}  ${m.engine ?? ''}  ${m.corpusName ?? '-'}${composingNote(m)}`,
      );
    }
    if (lines.length === 0) ctx.out('No models yet: train one with `etude train CORPUS --model NAME`.');
    for (const line of lines) ctx.out(line);
    return 0;
  },
};
