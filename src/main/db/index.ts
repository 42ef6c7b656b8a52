// SPDX-License-Identifier: MIT
/** The SQLite library: open it, then use its repositories. */
export { openLibrary, type Library, type OpenLibraryOptions } from './open';
export * from './errors';
export * from './types';
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';
export { ETUDE_APPLICATION_ID } from './migrate';
export type { InsertPiecesResult, ListPiecesOptions, PiecesRepository } from './repositories/pieces';
export type { CorporaRepository } from './repositories/corpora';
export type { ModelsRepository, NewModel, ModelPatch } from './repositories/models';
export type { CheckpointsRepository, NewCheckpoint } from './repositories/checkpoints';
export { sha256Hex } from './repositories/checkpoints';
export type { GenerationsRepository, NewGeneration, ListGenerationsOptions } from './repositories/generations';
export type {
  AcquireLeaseResult,
  NewTrainingLease,
  TrainingLease,
  TrainingLeasesRepository,
} from './repositories/trainingLeases';
export type { SlowQuery, SlowQueryLogger } from './timing';
