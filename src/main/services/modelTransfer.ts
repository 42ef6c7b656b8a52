// SPDX-License-Identifier: MIT
/**
 * Models that travel: a library model's latest checkpoint, with its name, spec, training record and corpus name,
 * exported to one `.etude-model` file (src/core/model/modelFile.ts) and imported into another library. The CLI
 * (`etude models export/import`) and the app/studio (`models:export` / `models:import`) call these.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readCheckpointHeader } from '../../core/model/checkpoint';
import { decodeModelFile, encodeModelFile, MODEL_FILE_EXTENSION } from '../../core/model/modelFile';
import { NotFoundError } from '../db/errors';
import type { Library } from '../db/open';
import type { ModelId, ModelRow } from '../db/types';
import { composingCheckpoint } from './composingCheckpoint';

/** The name that means the bundled model everywhere; no library model may take it. */
const RESERVED_NAME = 'default';

/** An export or import that cannot go ahead; `code` says why, the message what to do. */
export class ModelTransferError extends Error {
  override name = 'ModelTransferError';
  constructor(
    readonly code: 'NAME_TAKEN' | 'NAME_RESERVED' | 'MODEL_NOT_EXPORTABLE',
    message: string,
  ) {
    super(message);
  }
}

/** This Etude's version from package.json (source tree or build), written into exported files; '0.0.0' if unknown. */
export function etudeVersion(): string {
  for (const candidate of ['../../../package.json', '../../../../package.json']) {
    try {
      const file = new URL(candidate, import.meta.url);
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'etude' && pkg.version) return pkg.version;
    } catch {
      // A missing version is cosmetic.
    }
  }
  return '0.0.0';
}

/** A model by id (digits) or name. @throws NotFoundError */
function findModel(library: Library, model: string): ModelRow {
  const row = /^\d+$/.test(model)
    ? (library.models.getModel(Number(model) as ModelId) ?? library.models.getModelByName(model))
    : library.models.getModelByName(model);
  if (!row) throw new NotFoundError('model', model, 'List models with `etude models`.');
  return row;
}

/** A file name for a model: its name with anything unsafe replaced, plus .etude-model. */
export function modelFileName(name: string): string {
  const base = name.replace(/[^\p{L}\p{N} ._-]+/gu, '_').trim() || 'model';
  return `${base.slice(0, 120)}${MODEL_FILE_EXTENSION}`;
}

/**
 * The checkpoint the model composes with (its best on valid: ./composingCheckpoint.ts) as a `.etude-model` file, so
 * the one who imports it composes as its trainer does.
 * @throws NotFoundError (no such model), ModelTransferError (the bundled model, or no checkpoint yet)
 */
export function exportModel(
  library: Library,
  model: string,
  appVersion: string,
): { bytes: Uint8Array; fileName: string; modelName: string } {
  if (model.trim().toLowerCase() === RESERVED_NAME)
    throw new ModelTransferError(
      'MODEL_NOT_EXPORTABLE',
      'The bundled default model ships with every Etude; there is nothing to export. Export a model you trained.',
    );
  const row = findModel(library, model);
  const composing = composingCheckpoint(library, row.id);
  if (!composing)
    throw new ModelTransferError(
      'MODEL_NOT_EXPORTABLE',
      `The model "${row.name}" has no checkpoint yet (status ${row.status}); train at least one epoch, then export it.`,
    );
  const corpusName = row.corpusId === null ? null : (library.corpora.getCorpus(row.corpusId)?.name ?? null);
  const bytes = encodeModelFile({ name: row.name, appVersion, corpusName, checkpoint: composing.data });
  return { bytes, fileName: modelFileName(row.name), modelName: row.name };
}

/**
 * Adds the model in a `.etude-model` file to the library (status ready, its checkpoint as the latest), under its own
 * name or `options.name`. Row and checkpoint appear together (one transaction).
 * @throws ModelFileError (not ours, from a newer Etude, truncated, damaged), CheckpointError, ModelTransferError
 *   (NAME_TAKEN, NAME_RESERVED)
 */
export function importModel(
  library: Library,
  bytes: Uint8Array,
  options: { name?: string; fileName?: string; appVersion?: string } = {},
): ModelRow {
  const file = decodeModelFile(bytes, options.fileName ?? 'The model file', options.appVersion);
  const name = (options.name ?? file.header.name).trim();
  if (name.toLowerCase() === RESERVED_NAME)
    throw new ModelTransferError(
      'NAME_RESERVED',
      '"default" is the name of the bundled model; import this one under another name (--name NAME).',
    );
  const taken = library.models.getModelByName(name);
  if (taken)
    throw new ModelTransferError(
      'NAME_TAKEN',
      `A model named "${taken.name}" already exists in this library; import this one under another name (etude models import FILE --name NEW, or the name field).`,
    );
  const { header, checkpoint } = file;
  // An exported model is the checkpoint it composed with: where that was its best on valid (its weight average's,
  // maybe), the best travels too, so it composes (and says it does) the same way here.
  const own = readCheckpointHeader(checkpoint);
  const best =
    own.metrics.bestEpoch === own.epoch && typeof own.metrics.bestValLoss === 'number'
      ? {
          bestEpoch: own.epoch,
          bestValLoss: own.metrics.bestValLoss,
          ...(own.metrics.bestIsAverage === true ? { bestIsAverage: true } : {}),
        }
      : {};
  // The row's epoch and step are the checkpoint's own, read from it: the header's summary could say otherwise in a
  // hand-made file, and the composing rule matches epochs.
  const metrics = {
    epoch: own.epoch,
    step: own.step,
    ...(header.training.loss !== undefined ? { loss: header.training.loss } : {}),
    ...(header.training.valLoss !== undefined ? { valLoss: header.training.valLoss } : {}),
    ...(header.training.lossHistory ? { lossHistory: header.training.lossHistory } : {}),
    ...(header.training.valLossHistory ? { valLossHistory: header.training.valLossHistory } : {}),
    ...best,
    // The corpus does not travel; its name does, so the model still says what it learned from.
    corpusName: header.corpusName,
    importedFrom: { appVersion: header.appVersion, exportedAt: header.exportedAt, name: header.name },
  };
  return library.db.transaction(() => {
    const row = library.models.createModel({
      name,
      spec: header.spec,
      training: header.training.config,
      corpusId: null,
      engine: header.training.engine,
      status: 'ready',
    });
    library.checkpoints.saveCheckpoint({
      modelId: row.id,
      epoch: own.epoch,
      step: own.step,
      data: checkpoint,
      metrics,
    });
    return library.models.updateModel(row.id, { metrics });
  })();
}
