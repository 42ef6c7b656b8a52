// SPDX-License-Identifier: MIT
import { existsSync, readFileSync } from 'node:fs';
import { readCheckpointHeader } from '../../core/model/checkpoint';
import { bundledDefaultModelPath } from '../../main/services/generation';
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand } from '../types';

const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : '-');

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'List trained models and the bundled default',
  usage: `etude models

  One line per model: name, status, epochs, loss, validation loss, engine, corpus.`,
  async run(args, ctx) {
    const { positionals } = parseCommandArgs('models', args, {});
    if (positionals.length) throw new UsageError('models: takes no arguments', 'models');
    const library = ctx.library();
    const corpora = new Map(library.corpora.listCorpora().map((c) => [c.id as number, c.name]));
    const lines: string[] = [];
    const defaultPath = bundledDefaultModelPath();
    if (existsSync(defaultPath)) {
      try {
        const h = readCheckpointHeader(new Uint8Array(readFileSync(defaultPath)));
        lines.push(
          `default (bundled)  ready  epochs ${h.epoch}  loss ${fmt(h.metrics.loss)}  val ${fmt(h.metrics.valLoss)}  ${h.engine}  JSB chorales (soprano)`,
        );
      } catch (err) {
        lines.push(`default (bundled)  unreadable: ${(err as Error).message}`);
      }
    }
    for (const m of library.models.listModels()) {
      const metrics = (m.metrics ?? {}) as Record<string, unknown>;
      const corpus = m.corpusId === null ? '-' : (corpora.get(m.corpusId as number) ?? '-');
      lines.push(
        `${m.name}  ${m.status}  epochs ${typeof metrics.epoch === 'number' ? metrics.epoch : 0}  loss ${fmt(metrics.loss)}  val ${fmt(metrics.valLoss)}  ${m.engine}  ${corpus}`,
      );
    }
    if (lines.length === 0) ctx.out('No models yet: train one with `etude train CORPUS --model NAME`.');
    for (const line of lines) ctx.out(line);
    return 0;
  },
};
