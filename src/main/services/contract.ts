// SPDX-License-Identifier: MIT
/**
 * What the call handlers (src/main/ipc/handlers.ts) need from the application, in contract shapes. It lives with
 * the services so the handlers import the services and never the reverse; createAppServices (./app.ts) provides it.
 */
import type { CallResponse, EventPayload, ParsedRequest } from '../../shared/ipc';
import type {
  AppInfoDto,
  CorpusDto,
  CorpusStatsDto,
  EvaluationDto,
  GenerationDto,
  ImportFileDto,
  JobSnapshotDto,
  ModelDto,
  PieceListDto,
} from '../../shared/dto';

type MaybePromise<T> = T | Promise<T>;

/** A job event as the contract sends it (kind added so the renderer can route without a lookup). */
export type ContractJobEvent =
  | { event: 'job:progress'; payload: EventPayload<'job:progress'> }
  | { event: 'job:finished'; payload: EventPayload<'job:finished'> };

/** The application as every door's handlers see it. Returns contract DTOs. */
export interface HandlerServices {
  appInfo(): MaybePromise<Omit<AppInfoDto, 'door' | 'capabilities'>>;
  listCorpora(): MaybePromise<CorpusDto[]>;
  corpusStats(corpusName: string): MaybePromise<CorpusStatsDto>;
  renameCorpus(corpusName: string, newName: string): MaybePromise<CorpusDto>;
  deleteCorpus(corpusName: string): MaybePromise<void>;
  listPieces(corpusName: string, offset: number, limit: number): MaybePromise<PieceListDto>;
  /** Starts an import job of uploaded bytes; answers its id at once. */
  /** `stepsPerQuarter`: frames per quarter note of piano-roll JSON files that do not state it. */
  startImportFiles(corpusName: string, files: ImportFileDto[], stepsPerQuarter?: number): MaybePromise<string>;
  /** Starts an import job of files or folders on disk (paths main chose itself, never the renderer). */
  startImportPaths(corpusName: string, paths: string[]): MaybePromise<string>;
  startTraining(request: ParsedRequest<'train:start'>): MaybePromise<string>;
  cancelJob(jobId: string): MaybePromise<boolean>;
  listJobs(): MaybePromise<JobSnapshotDto[]>;
  /** Every job event, already in contract shape. Returns unsubscribe. */
  subscribeJobEvents(listener: (e: ContractJobEvent) => void): () => void;
  listModels(): MaybePromise<ModelDto[]>;
  deleteModel(modelId: string): MaybePromise<void>;
  /** One file (.etude-model) holding the model's spec, training record and latest checkpoint. */
  exportModel(modelId: string): MaybePromise<CallResponse<'models:export'>>;
  importModel(request: ParsedRequest<'models:import'>): MaybePromise<ModelDto>;
  /** The quality report of a model: takes generated (not stored) and measured against a corpus. */
  evaluateModel(request: ParsedRequest<'models:evaluate'>): MaybePromise<EvaluationDto>;
  /** Starts a generation job; answers its id at once (the variations arrive with job:finished). */
  startGeneration(request: ParsedRequest<'compose:generate'>): MaybePromise<string>;
  /** Regenerates bars of a melody take (nothing stored). */
  regenerate(request: ParsedRequest<'compose:regenerate'>): MaybePromise<CallResponse<'compose:regenerate'>>;
  listGenerations(request: ParsedRequest<'generations:list'>): MaybePromise<GenerationDto[]>;
  getGenerations(generationIds: string[]): MaybePromise<GenerationDto[]>;
  saveFavourite(generationId: string, name: string, favourite: boolean): MaybePromise<GenerationDto>;
  /**
   * Starts a job that renders a take's MIDI through the bundled SoundFont (src/main/services/audioExport.ts) off the
   * thread that serves calls and hands the WAV bytes to `save` (the door's chosen place); answers its id at once.
   * Cancelled, it never calls `save`.
   */
  startWavExport(
    request: Omit<ParsedRequest<'file:saveWav'>, 'suggestedName'>,
    save: (wav: Uint8Array) => Promise<string>,
    title: string,
  ): MaybePromise<string>;
}
