// SPDX-License-Identifier: MIT
/**
 * The composition root shared by the Electron main process and the loopback studio: opens the
 * library in the data folder, owns the one JobManager, and answers what the call handlers need
 * (src/main/ipc/handlers.ts HandlerServices) in contract shapes. No Electron here.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { selectEngine } from '../../core/engine/select';
import type { EngineInfo } from '../../core/engine/types';
import { readCheckpointHeader } from '../../core/model/checkpoint';
import { throwIfAborted, type ProgressSink } from '../../core/jobs/progress';
import type { NoteSequence } from '../../core/music/NoteSequence';
import type {
  CorpusDto,
  CorpusStatsDto,
  GenerationDto,
  ImportReportDto,
  JobSnapshotDto,
  ModelDto,
  TrainResultDto,
} from '../../shared/dto';
import { ERROR_CODES } from '../../shared/errors';
import type { ComposeResultDto } from '../../shared/dto';
import type { ParsedRequest } from '../../shared/ipc';
import { NotFoundError } from '../db/errors';
import { openLibrary, type Library } from '../db/open';
import type { CorpusSummary, Generation, GenerationId, ModelId, ModelRow } from '../db/types';
import type { ContractJobEvent, HandlerServices } from '../ipc/handlers';
import { JobManager, type JobContext, type JobSnapshot } from '../jobs/JobManager';
import { importPaths } from './importService';
import { importFiles, type UploadedFile } from './importUploads';
import { ensureDataDir, libraryPath } from './paths';
import { runGenerationInWorker } from '../jobs/generationWorkerRunner';
import { generateFromRequest, type GenerationRunner } from './generation';
import { exportModel, importModel } from './modelTransfer';
import { corpusStats } from './stats';
import { trainFromRequest } from './training';

/** Trains (or resumes) a model; runs off the UI thread (a worker) and stores checkpoints as it goes. */
export type Trainer = (
  library: Library,
  request: ParsedRequest<'train:start'>,
  job: { signal: AbortSignal; onProgress: ProgressSink },
) => Promise<TrainResultDto>;

/**
 * Samples variations from a library model or the bundled default, and stores them as generations. Runs as a job:
 * progress per variation, cancel per generated token; the engine runs where `runner` says (a worker by default).
 */
export type Generator = (
  library: Library,
  request: ParsedRequest<'compose:generate'>,
  context: {
    defaultModelPath: string | null;
    signal: AbortSignal;
    onProgress: ProgressSink;
    runner?: GenerationRunner;
  },
) => Promise<ComposeResultDto>;

export interface AppServicesOptions {
  /** The user's data folder (library.db, exports/, logs/); created if missing. */
  dataDir: string;
  /** Bundled resources (default-model/default.etude-ckpt, ...). */
  resourcesDir: string;
  appVersion?: string;
  /** The training implementation (default: the worker-backed trainer, src/main/services/training.ts). */
  trainer?: Trainer;
  /** The generation implementation (default: src/main/services/generation.ts). */
  generator?: Generator;
  /** Where generation jobs run the engine (default: a worker thread, src/main/jobs/generationWorkerRunner.ts). */
  generationRunner?: GenerationRunner;
  /** Which engine 'auto' picks here (default: src/core/engine/select.ts). */
  probeEngine?: () => Promise<EngineInfo>;
}

export interface AppServices extends HandlerServices {
  readonly dataDir: string;
  readonly resourcesDir: string;
  readonly library: Library;
  readonly jobs: JobManager;
  /** Imports files or folders on disk (main chose the paths, e.g. from a dialog). */
  startImportPaths(corpusName: string, paths: string[]): string;
  /** Cancels running jobs, waits for them, closes the library. Idempotent. */
  close(): Promise<void>;
}

/** The bundled model's checkpoint inside resources/. */
export const DEFAULT_MODEL_RELATIVE_PATH = path.join('default-model', 'default.etude-ckpt');
/** The id the contract uses for the bundled model. */
export const DEFAULT_MODEL_ID = 'default';

/**
 * Starts the work on a later turn of the event loop, so the call that started the job has sent
 * its { jobId } answer before the job's first event goes out (a tiny import otherwise finishes,
 * and announces job:finished, before the caller even knows the id).
 */
function afterAnswer<T>(run: (ctx: JobContext) => Promise<T>): (ctx: JobContext) => Promise<T> {
  return async (ctx) => {
    await new Promise((resolve) => setImmediate(resolve));
    // Cancelled (or shut down) before it began: never start the work.
    throwIfAborted(ctx.signal);
    return run(ctx);
  };
}

/** Which engine 'auto' picks on this machine: created once, described, disposed. */
async function probeAutoEngine(): Promise<EngineInfo> {
  const engine = await selectEngine({ engine: 'auto' });
  try {
    return { ...engine.info };
  } finally {
    await engine.dispose();
  }
}

function readAppVersion(): string {
  try {
    // Relative to this file in the source tree (src/main/services) or in the build (out/main/main/services).
    for (const candidate of ['../../../package.json', '../../../../package.json']) {
      const file = new URL(candidate, import.meta.url);
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'etude' && pkg.version) return pkg.version;
      }
    }
  } catch {
    // A missing version is cosmetic.
  }
  return '0.0.0';
}

function corpusDto(
  c: CorpusSummary | (Omit<CorpusSummary, 'pieceCount' | 'totalSixteenths'> & { pieceCount?: number }),
): CorpusDto {
  return { id: c.id, name: c.name, pieceCount: c.pieceCount ?? 0, createdAt: c.createdAt, updatedAt: c.updatedAt };
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function notesOf(seq: NoteSequence | null) {
  const notes = seq?.tracks.flatMap((t) => t.notes) ?? [];
  return notes
    .filter((n) => n.durationTicks >= 1)
    .map((n) => ({
      pitch: n.pitch,
      startTick: Math.round(n.startTick),
      durationTicks: Math.max(1, Math.round(n.durationTicks)),
      velocity: Math.max(0, Math.min(127, Math.round(n.velocity <= 1 ? n.velocity * 127 : n.velocity))),
    }))
    .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}

/**
 * Opens the library and wires the services.
 * @throws DataDirError, LibraryNotOursError, LibraryFromFutureError, LibraryUnreadableError (from opening)
 */
export function createAppServices(options: AppServicesOptions): AppServices {
  const dataDir = ensureDataDir(path.resolve(options.dataDir));
  const resourcesDir = path.resolve(options.resourcesDir);
  const library = openLibrary(libraryPath(dataDir));
  const jobs = new JobManager();
  const appVersion = options.appVersion ?? readAppVersion();
  const trainer: Trainer = options.trainer ?? trainFromRequest;
  const generator: Generator = options.generator ?? generateFromRequest;
  const generationRunner = options.generationRunner ?? runGenerationInWorker;
  const probeEngine = options.probeEngine ?? probeAutoEngine;
  let engineProbe: Promise<{ engine: EngineInfo | null; engineError?: string }> | undefined;

  const defaultModelPath = () => {
    const p = path.join(resourcesDir, DEFAULT_MODEL_RELATIVE_PATH);
    return existsSync(p) ? p : null;
  };

  // The bundled model's header (spec, training, metrics) read once: the file is a few MB.
  let defaultModel: { path: string; dto: ModelDto } | undefined;
  const defaultModelDto = (): ModelDto | null => {
    const file = defaultModelPath();
    if (!file) return null;
    if (defaultModel?.path === file) return defaultModel.dto;
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
      // Listed anyway; composing with it will report the checkpoint error with its code.
      dto.status = 'failed';
      dto.metrics = { error: err instanceof Error ? err.message : String(err) };
    }
    defaultModel = { path: file, dto };
    return dto;
  };

  const modelDto = (row: ModelRow): ModelDto => ({
    id: String(row.id),
    name: row.name,
    builtin: false,
    status: row.status,
    engine: row.engine || null,
    corpusName:
      row.corpusId === null
        ? // An imported model names the corpus it learned from, which stayed in the other library.
          (asString(asRecord(row.metrics)?.corpusName) ?? null)
        : (library.corpora.getCorpus(row.corpusId)?.name ?? null),
    spec: asRecord(row.spec) ?? {},
    training: asRecord(row.training),
    metrics: asRecord(row.metrics),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });

  const generationDto = (g: Generation): GenerationDto => {
    const model = g.modelId === null ? undefined : library.models.getModel(g.modelId);
    const request = asRecord(g.request) ?? {};
    return {
      id: String(g.id),
      modelId: g.modelId === null ? (request.model === DEFAULT_MODEL_ID ? DEFAULT_MODEL_ID : null) : String(g.modelId),
      modelName: model?.name ?? (request.model === DEFAULT_MODEL_ID ? 'Default model' : null),
      name: g.name,
      favourite: g.favourite,
      request,
      tokens: g.tokens ? Array.from(g.tokens) : [],
      notes: notesOf(g.sequence),
      ppq: g.sequence?.ppq ?? 480,
      bpm: g.sequence?.tempos[0]?.bpm ?? 120,
      createdAt: g.createdAt,
    };
  };

  const parseNumericId = (entity: string, id: string): number => {
    if (!/^\d+$/.test(id)) throw new NotFoundError(entity, id);
    return Number(id);
  };

  const jobDto = (job: JobSnapshot): JobSnapshotDto => ({
    id: job.id,
    kind: job.kind,
    title: job.title,
    status: job.status,
    startedAt: job.startedAt,
    ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
    ...(job.progress ? { progress: job.progress } : {}),
    ...(job.result !== undefined ? { result: job.result } : {}),
    ...(job.error ? { error: job.error } : {}),
  });

  const startImportFiles = (corpusName: string, files: UploadedFile[]) =>
    jobs.start(
      'import',
      `Import ${files.length} file${files.length === 1 ? '' : 's'} into ${corpusName}`,
      afterAnswer((ctx) => importFiles(library, files, { corpusName, signal: ctx.signal, onProgress: ctx.progress })),
    );

  // Paths main chose itself (a dialog): the library's own path importer (folders, JSON corpora, parallel parsing).
  const startImportPaths = (corpusName: string, paths: string[]) =>
    jobs.start(
      'import',
      `Import ${paths.length === 1 ? path.basename(paths[0]) : `${paths.length} items`} into ${corpusName}`,
      afterAnswer(async (ctx): Promise<ImportReportDto> => {
        const report = await importPaths(library, paths, { corpusName, signal: ctx.signal, onProgress: ctx.progress });
        return {
          corpusName: report.corpus.name,
          files: report.files,
          imported: report.imported,
          duplicates: report.duplicates,
          failed: report.failed.map((f) => ({ name: f.path, code: f.code, reason: f.reason })),
        };
      }),
    );

  let closing: Promise<void> | undefined;
  /** Training jobs by id -> model name (lower case), so a model is not deleted while it trains. */
  const trainingJobs = new Map<string, string>();

  const services: AppServices = {
    dataDir,
    resourcesDir,
    library,
    jobs,

    async appInfo() {
      // Probed once per run: loading an engine takes a moment and the answer does not change.
      engineProbe ??= probeEngine().then(
        (engine) => ({ engine }),
        (err: unknown) => ({ engine: null, engineError: err instanceof Error ? err.message : String(err) }),
      );
      const { engine, engineError } = await engineProbe;
      return {
        appVersion,
        dataDir,
        engine: engine
          ? {
              name: engine.name,
              threads: engine.threads,
              description: engine.description,
              ...(engine.gpu ? { gpu: engine.gpu } : {}),
              ...(engine.fallbackReason ? { fallbackReason: engine.fallbackReason } : {}),
            }
          : null,
        ...(engineError ? { engineError } : {}),
        defaultModelPresent: defaultModelPath() !== null,
      };
    },

    listCorpora: () => library.corpora.listCorpora().map(corpusDto),

    corpusStats(corpusName): CorpusStatsDto {
      const stats = corpusStats(library, corpusName);
      return {
        corpusName: stats.corpusName,
        pieces: stats.pieces,
        totalSixteenths: stats.totalSixteenths,
        pitchRange: stats.pitchRange ? { min: stats.pitchRange.lowest, max: stats.pitchRange.highest } : null,
        tokenHistogram: stats.tokenHistogram,
        unusedPitches: stats.unusedPitches,
        melodyNotes: stats.melodyNotes,
        lengthSixteenths: stats.lengthSixteenths,
        splits: Object.fromEntries(
          Object.entries(stats.splits).filter((e): e is [string, number] => typeof e[1] === 'number'),
        ),
      };
    },

    renameCorpus(corpusName, newName) {
      const corpus = library.corpora.requireCorpusByName(corpusName);
      const renamed = library.corpora.renameCorpus(corpus.id, newName);
      return corpusDto({ ...renamed, pieceCount: library.pieces.countPieces(renamed.id) });
    },

    deleteCorpus(corpusName) {
      const corpus = library.corpora.requireCorpusByName(corpusName);
      library.corpora.deleteCorpus(corpus.id);
    },

    listPieces(corpusName, offset, limit) {
      const corpus = library.corpora.requireCorpusByName(corpusName);
      return {
        total: library.pieces.countPieces(corpus.id),
        pieces: library.pieces.listPieces(corpus.id, { offset, limit }).map((p) => ({
          id: p.id,
          corpusId: p.corpusId,
          name: p.name,
          format: p.format,
          split: p.split,
          noteCount: p.noteCount,
          sixteenths: p.sixteenths,
          createdAt: p.createdAt,
        })),
      };
    },

    startImportFiles,
    startImportPaths,

    startTraining(request) {
      // One training per model name at a time: a second Start returns the running job.
      const jobId = jobs.start(
        'train',
        `Train ${request.modelName} on ${request.corpusName}`,
        afterAnswer((ctx) => trainer(library, request, { signal: ctx.signal, onProgress: ctx.progress })),
        `train:${request.modelName.toLowerCase()}`,
      );
      trainingJobs.set(jobId, request.modelName.toLowerCase());
      return jobId;
    },

    cancelJob: (jobId) => jobs.cancel(jobId),
    listJobs: () => jobs.list().map(jobDto),

    subscribeJobEvents(listener) {
      return jobs.subscribe((e) => {
        const kind = jobs.get(e.jobId)?.kind;
        if (!kind) return;
        let event: ContractJobEvent;
        if (e.type === 'progress')
          event = { event: 'job:progress', payload: { jobId: e.jobId, kind, progress: e.progress } };
        else
          event = {
            event: 'job:finished',
            payload: {
              jobId: e.jobId,
              kind,
              status: e.status,
              ...(e.result !== undefined ? { result: e.result } : {}),
              ...(e.error ? { error: e.error } : {}),
            },
          };
        listener(event);
      });
    },

    listModels() {
      const models = library.models.listModels().map(modelDto);
      const builtin = defaultModelDto();
      if (builtin) models.unshift(builtin);
      return models;
    },

    deleteModel(modelId) {
      if (modelId === DEFAULT_MODEL_ID) {
        throw Object.assign(new Error('The bundled default model cannot be deleted.'), {
          code: ERROR_CODES.UNSUPPORTED,
        });
      }
      const id = parseNumericId('model', modelId) as ModelId;
      const name = library.models.getModel(id)?.name.toLowerCase();
      const running = [...trainingJobs].some(
        ([jobId, modelName]) => modelName === name && jobs.get(jobId)?.status === 'running',
      );
      if (running) {
        throw Object.assign(new Error('This model is still training; cancel the training first, then delete it.'), {
          code: ERROR_CODES.BUSY,
        });
      }
      if (!library.models.deleteModel(id)) throw new NotFoundError('model', id);
    },

    exportModel: (modelId) => exportModel(library, modelId, appVersion),
    importModel: (request) =>
      modelDto(
        importModel(library, request.bytes, {
          fileName: request.fileName,
          appVersion,
          ...(request.name !== undefined ? { name: request.name } : {}),
        }),
      ),

    startGeneration: (request) =>
      jobs.start(
        'generate',
        `Compose ${request.variations} variation${request.variations === 1 ? '' : 's'} of ${request.bars} bars`,
        afterAnswer((ctx) =>
          generator(library, request, {
            defaultModelPath: defaultModelPath(),
            signal: ctx.signal,
            onProgress: ctx.progress,
            runner: generationRunner,
          }),
        ),
        // The same request twice at once (a double click) is one job: same seed, same notes.
        `generate:${JSON.stringify(request)}`,
      ),

    listGenerations(request) {
      const modelId =
        request.modelId === undefined || request.modelId === DEFAULT_MODEL_ID
          ? undefined
          : (parseNumericId('model', request.modelId) as ModelId);
      return library.generations
        .listGenerations({ modelId, favouritesOnly: request.favouritesOnly, limit: request.limit })
        .map(generationDto);
    },

    saveFavourite(generationId, name, favourite) {
      const id = parseNumericId('generation', generationId) as GenerationId;
      if (!library.generations.getGeneration(id)) throw new NotFoundError('generation', id);
      // The repository has no rename; naming a kept variation is a one-column update.
      library.db.prepare('UPDATE generations SET name = ? WHERE id = ?').run(name, id);
      return generationDto(library.generations.setFavourite(id, favourite));
    },

    close() {
      return (closing ??= (async () => {
        await jobs.shutdown();
        library.close();
      })());
    },
  };
  return services;
}
