// SPDX-License-Identifier: MIT
/**
 * The models service: list, rename and delete trained models, with the same rules for every door (the app, the
 * studio, the CLI). A model that is training (a live lease, whichever process trains it) cannot be deleted or
 * renamed; the bundled default model is not in the library and cannot be deleted.
 */
import { readFileSync, statSync } from 'node:fs';
import { readCheckpointHeader } from '../../core/model/checkpoint';
import type { ModelDto } from '../../shared/dto';
import { ERROR_CODES } from '../../shared/errors';
import { NotFoundError } from '../db/errors';
import type { Library } from '../db/open';
import type { ModelId, ModelRow } from '../db/types';
import { modelComposingEpoch } from './composingCheckpoint';
import { DEFAULT_MODEL_ID, modelDto } from './dto';
import { assertNotTraining, isLeaseLive, liveLeases, ModelTrainingError } from './trainingLease';

/** A model named by the door: its contract id (the app and studio) or its name (the CLI). */
export type ModelRef = { id: string } | { name: string };

/** The bundled default model, which lives in resources/, not in the library: it cannot be changed. */
export class BuiltinModelError extends Error {
  override name = 'BuiltinModelError';
  readonly code = ERROR_CODES.UNSUPPORTED;
  constructor(action: string) {
    super(`The bundled default model cannot be ${action}.`);
  }
}

function isDefaultRef(ref: ModelRef): boolean {
  return 'id' in ref ? ref.id === DEFAULT_MODEL_ID : ref.name.trim().toLowerCase() === DEFAULT_MODEL_ID;
}

/** @throws NotFoundError */
export function requireModel(library: Library, ref: ModelRef): ModelRow {
  if ('id' in ref) {
    const row = /^\d+$/.test(ref.id) ? library.models.getModel(Number(ref.id) as ModelId) : undefined;
    if (!row) throw new NotFoundError('model', /^\d+$/.test(ref.id) ? Number(ref.id) : ref.id);
    return row;
  }
  const row = library.models.getModelByName(ref.name);
  if (!row) throw new NotFoundError('model', ref.name, 'List models with `etude models` or the Models screen.');
  return row;
}

/**
 * The corpus a model learned from, by name: its corpus here, or for a model imported from another library (no corpus
 * here) the name that library gave it, kept in its metrics by the model file import.
 */
function corpusNameOf(row: ModelRow, corpora: Map<number, string>): string | null {
  if (row.corpusId !== null) return corpora.get(row.corpusId as number) ?? null;
  const metrics = row.metrics as Record<string, unknown> | null;
  return typeof metrics?.corpusName === 'string' ? metrics.corpusName : null;
}

/** The library's models in contract shape, newest first; status 'training' from the shared leases. */
export function listLibraryModels(library: Library): ModelDto[] {
  const leases = liveLeases(library);
  const corpora = new Map(library.corpora.listCorpora().map((c) => [c.id as number, c.name]));
  return library.models.listModels().map((row) =>
    modelDto(row, {
      corpusName: corpusNameOf(row, corpora),
      training: leases.has(row.id),
      composesWith: modelComposingEpoch(library, row.id),
    }),
  );
}

/** One library model in contract shape (as listLibraryModels shows it). */
export function libraryModelDto(library: Library, row: ModelRow): ModelDto {
  const corpora = new Map(library.corpora.listCorpora().map((c) => [c.id as number, c.name]));
  return modelDto(row, {
    corpusName: corpusNameOf(row, corpora),
    training: liveLeases(library).has(row.id),
    composesWith: modelComposingEpoch(library, row.id),
  });
}

/**
 * Deletes a model and its checkpoints (its generations stay, without a model).
 * @throws BuiltinModelError (UNSUPPORTED), NotFoundError, ModelTrainingError (BUSY: it is training somewhere)
 */
export function deleteModel(library: Library, ref: ModelRef): ModelRow {
  if (isDefaultRef(ref)) throw new BuiltinModelError('deleted');
  const row = requireModel(library, ref);
  // Checked and deleted under one write lock, so a trainer starting meanwhile cannot lose its model.
  const result = library.trainingLeases.deleteModelUnlessHeld(row.id, (lease) => isLeaseLive(lease));
  if (result.holder) throw new ModelTrainingError(row.name, result.holder, 'delete');
  if (!result.deleted) throw new NotFoundError('model', row.id);
  return row;
}

/** @throws BuiltinModelError, NotFoundError, ModelTrainingError, NameTakenError, InvalidLibraryInputError */
export function renameModel(library: Library, ref: ModelRef, newName: string): ModelRow {
  if (isDefaultRef(ref)) throw new BuiltinModelError('renamed');
  if (newName.trim().toLowerCase() === DEFAULT_MODEL_ID)
    throw Object.assign(new Error('"default" is the name of the bundled model; pick another model name.'), {
      code: 'NAME_RESERVED',
    });
  const row = requireModel(library, ref);
  assertNotTraining(library, row, 'rename');
  return library.models.updateModel(row.id, { name: newName });
}

/**
 * The bundled model in contract shape, read from its checkpoint header (spec, training, metrics); a header that
 * cannot be read gives status 'failed' with the reason, so the list still shows it.
 */
export function bundledModelDto(file: string): ModelDto {
  const stamp = Math.round(statSync(file).mtimeMs);
  const dto: ModelDto = {
    id: DEFAULT_MODEL_ID,
    name: 'Default model (Bach chorale sopranos)',
    builtin: true,
    status: 'ready',
    engine: null,
    corpusName: null,
    spec: {},
    training: null,
    metrics: null,
    createdAt: stamp,
    updatedAt: stamp,
  };
  try {
    const header = readCheckpointHeader(new Uint8Array(readFileSync(file)));
    Object.assign(dto, {
      engine: header.engine,
      corpusName: header.corpus?.name ?? null,
      spec: { ...header.spec },
      training: { ...header.training },
      metrics: { ...header.metrics, epoch: header.epoch, step: header.step },
      createdAt: header.createdAt,
    });
  } catch (err) {
    dto.status = 'failed';
    dto.metrics = { error: err instanceof Error ? err.message : String(err) };
  }
  return dto;
}
