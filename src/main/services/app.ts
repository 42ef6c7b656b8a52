// SPDX-License-Identifier: MIT
/**
 * The composition root shared by the Electron main process and the loopback studio: opens the
 * library in the data folder, owns the one JobManager, and answers what the call handlers need
 * (src/main/ipc/handlers.ts HandlerServices) in contract shapes. No Electron here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { selectEngine } from '../../core/engine/select';
import type { EngineInfo } from '../../core/engine/types';
import { throttleProgress, throwIfAborted, type ProgressSink } from '../../core/jobs/progress';
import type { ComposeResultDto, ModelDto, TrainResultDto } from '../../shared/dto';
import type { ParsedRequest } from '../../shared/ipc';
import { openLibrary, type Library } from '../db/open';
import { JobManager, type JobContext } from '../jobs/JobManager';
import type { ContractJobEvent, HandlerServices } from './contract';
import { DEFAULT_MODEL_ID, importReportDto, jobDto } from './dto';
import { DEFAULT_CORPUS_RELATIVE_PATH, evaluateModel } from './evaluation';
import { generateFromRequest } from './generation';
import type { GenerationRunner } from './generationRequest';
import { getGenerations, listGenerations, saveFavourite } from './generations';
import { soundFontPathIn } from './audioExport';
import { parseMidi } from '../../core/midi/readMidi';
import { importPaths } from './importService';
import { importFiles, type UploadedFile } from './importUploads';
import { corpusStatsDtoOf, deleteCorpus, listCorporaDto, listPiecesPage, renameCorpus } from './library';
import { bundledModelDto, deleteModel, libraryModelDto, listLibraryModels } from './models';
import { ensureDataDir, libraryPath } from './paths';
import { runGenerationInWorker } from '../jobs/generationWorkerRunner';
import { renderWavInWorker, type WavRenderRunner } from '../jobs/wavRenderWorkerRunner';
import { exportModel, importModel } from './modelTransfer';
import { regenerateSelection } from './infillGeneration';
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
  /** Renders WAV exports (default: a worker thread per render). */
  wavRenderer?: WavRenderRunner;
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
export { DEFAULT_MODEL_ID };

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
  const wavRenderer = options.wavRenderer ?? renderWavInWorker;
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
    if (defaultModel?.path !== file) defaultModel = { path: file, dto: bundledModelDto(file) };
    return defaultModel.dto;
  };

  const startImportFiles = (corpusName: string, files: UploadedFile[], stepsPerQuarter?: number) =>
    jobs.start(
      'import',
      `Import ${files.length} file${files.length === 1 ? '' : 's'} into ${corpusName}`,
      afterAnswer((ctx) =>
        importFiles(library, files, {
          corpusName,
          signal: ctx.signal,
          onProgress: ctx.progress,
          ...(stepsPerQuarter !== undefined ? { stepsPerQuarter } : {}),
        }),
      ),
    );

  // Paths main chose itself (a dialog): the library's own path importer (folders, JSON corpora, parallel parsing).
  const startImportPaths = (corpusName: string, paths: string[]) =>
    jobs.start(
      'import',
      `Import ${paths.length === 1 ? path.basename(paths[0]) : `${paths.length} items`} into ${corpusName}`,
      afterAnswer(async (ctx) =>
        importReportDto(
          await importPaths(library, paths, { corpusName, signal: ctx.signal, onProgress: ctx.progress }),
        ),
      ),
    );

  let closing: Promise<void> | undefined;

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

    listCorpora: () => listCorporaDto(library),
    corpusStats: (corpusName) => corpusStatsDtoOf(library, corpusName),
    renameCorpus: (corpusName, newName) => renameCorpus(library, corpusName, newName),
    deleteCorpus(corpusName) {
      deleteCorpus(library, corpusName);
    },
    listPieces: (corpusName, offset, limit) => listPiecesPage(library, corpusName, offset, limit),

    startImportFiles,
    startImportPaths,

    startTraining(request) {
      // One training per model name at a time here: a second Start returns the running job. Across processes, the
      // model's training lease refuses a second trainer (src/main/services/trainingLease.ts).
      return jobs.start(
        'train',
        `Train ${request.modelName} on ${request.corpusName}`,
        afterAnswer((ctx) => trainer(library, request, { signal: ctx.signal, onProgress: ctx.progress })),
        `train:${request.modelName.toLowerCase()}`,
      );
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
      const models = listLibraryModels(library);
      const builtin = defaultModelDto();
      if (builtin) models.unshift(builtin);
      return models;
    },

    deleteModel(modelId) {
      deleteModel(library, { id: modelId });
    },

    exportModel: (modelId) => exportModel(library, modelId, appVersion),
    importModel: (request) =>
      libraryModelDto(
        library,
        importModel(library, request.bytes, {
          fileName: request.fileName,
          appVersion,
          ...(request.name !== undefined ? { name: request.name } : {}),
        }),
      ),

    evaluateModel: (request) =>
      evaluateModel(
        library,
        {
          model: request.modelId,
          takes: request.takes,
          bars: request.bars,
          ...(request.corpusName !== undefined ? { against: request.corpusName } : {}),
        },
        {
          defaultModelPath: defaultModelPath(),
          defaultCorpusPath: path.join(resourcesDir, DEFAULT_CORPUS_RELATIVE_PATH),
          runner: generationRunner,
        },
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
    regenerate: (request) =>
      regenerateSelection(library, request, { defaultModelPath: defaultModelPath(), runner: generationRunner }),
    listGenerations: (request) => listGenerations(library, request),
    getGenerations: (ids) => getGenerations(library, ids),
    saveFavourite: (generationId, name, favourite) => saveFavourite(library, generationId, name, favourite),
    startWavExport: (request, save, title) => {
      // Bytes that are not MIDI are refused in the answer, in one sentence, before any job starts.
      parseMidi(request.midi, title);
      return jobs.start(
        'render',
        `Render ${title} as WAV`,
        afterAnswer(async (ctx) => {
          // The worker reports once per second of audio, tens of times a second: the contract's pace is ~10.
          const progress = throttleProgress(ctx.progress);
          const wav = await wavRenderer(request, soundFontPathIn(resourcesDir), {
            signal: ctx.signal,
            onProgress: progress,
          });
          progress.flush();
          // Cancelled as the render ended: still no file.
          throwIfAborted(ctx.signal);
          return { path: await save(wav) };
        }),
      );
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
