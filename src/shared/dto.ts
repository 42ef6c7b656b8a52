// SPDX-License-Identifier: MIT
import { z } from 'zod';

/**
 * Data shapes that cross the process boundary (IPC or the studio WebSocket). Plain data only:
 * numbers, strings, arrays, and Uint8Array for file bytes. Timestamps are integer ms since the epoch.
 */

// ---- limits (enforced by the schemas; the renderer should chunk bigger imports into several calls) ----

/** Most files in one library:importFiles call. */
export const MAX_IMPORT_FILES = 5000;
/** Largest single file accepted for import (MIDI files are usually < 100 KiB). */
export const MAX_IMPORT_FILE_BYTES = 8 * 1024 * 1024;
/** Most bytes in one library:importFiles call, all files together. */
export const MAX_IMPORT_TOTAL_BYTES = 96 * 1024 * 1024;
/** Largest MIDI file main will save or drag out. */
export const MAX_EXPORT_BYTES = 16 * 1024 * 1024;
/** Largest .etude-model file models:import accepts (the default spec's file is ~13 MB; room for bigger models). */
export const MAX_MODEL_FILE_BYTES = 64 * 1024 * 1024;
/** Longest name (corpus, model, file, favourite). */
export const MAX_NAME_LENGTH = 200;

/** Accepts a Uint8Array (Buffer is one) from either realm; structured clone and our WS codec both produce one. */
export const bytesSchema = z.custom<Uint8Array>(
  (v) => v instanceof Uint8Array || Object.prototype.toString.call(v) === '[object Uint8Array]',
  { message: 'expected bytes (Uint8Array)' },
);

export const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
  // Control characters break file names, logs and the terminal.
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

export const idSchema = z.string().min(1).max(100);
export const pitchSchema = z.number().int().min(0).max(127);
const count = z.number().int().min(0);
const timestampMs = z.number().int();

// ---- app ----

export const engineChoiceSchema = z.enum(['auto', 'wasm', 'webgpu', 'tfjs-cpu', 'tfjs-node', 'tfjs-node-gpu']);
export type EngineChoice = z.infer<typeof engineChoiceSchema>;

export const engineInfoSchema = z.object({
  /** 'wasm' | 'webgpu' | 'tfjs-cpu' | 'tfjs-node' | 'tfjs-node-gpu'. */
  name: z.string(),
  threads: z.number().int().min(1),
  gpu: z.string().optional(),
  /** One sentence for the status bar, e.g. "wasm engine (WebAssembly SIMD), 2 threads". */
  description: z.string(),
  /** Why a preferred engine was not used, when auto-selection fell back. */
  fallbackReason: z.string().optional(),
});
export type EngineInfoDto = z.infer<typeof engineInfoSchema>;

export const appInfoSchema = z.object({
  appVersion: z.string(),
  /** Which door the renderer talks to. */
  door: z.enum(['electron', 'studio']),
  dataDir: z.string(),
  /** The engine 'auto' picks on this machine; null when no engine could be loaded (reason in engineError). */
  engine: engineInfoSchema.nullable(),
  engineError: z.string().optional(),
  defaultModelPresent: z.boolean(),
  /** What this door can do; the renderer hides what it cannot. */
  capabilities: z.object({
    importDialog: z.boolean(),
    saveDialog: z.boolean(),
    nativeDrag: z.boolean(),
  }),
});
export type AppInfoDto = z.infer<typeof appInfoSchema>;

// ---- library ----

export const corpusSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  pieceCount: count,
  createdAt: timestampMs,
  updatedAt: timestampMs,
  /**
   * 'interrupted': the process importing into it died, so it holds only part of that import (running the same import
   * again completes it); 'importing': an import is under way. Absent means complete.
   */
  importState: z.enum(['importing', 'interrupted']).optional(),
});
export type CorpusDto = z.infer<typeof corpusSchema>;

export const pieceFormatSchema = z.enum(['midi', 'token-melody', 'pianoroll-json']);

export const pieceSchema = z.object({
  id: z.number().int(),
  corpusId: z.number().int(),
  name: z.string(),
  format: pieceFormatSchema,
  /** Dataset split from the source ('train' | 'valid' | 'test'), or null when the source has none. */
  split: z.enum(['train', 'valid', 'test']).nullable(),
  noteCount: count,
  /** Length of the melody encoding, one token per sixteenth note. */
  sixteenths: count,
  createdAt: timestampMs,
});
export type PieceDto = z.infer<typeof pieceSchema>;

export const pieceListSchema = z.object({
  /** Pieces in the corpus, not just this page. */
  total: count,
  pieces: z.array(pieceSchema),
});
export type PieceListDto = z.infer<typeof pieceListSchema>;

export const corpusStatsSchema = z.object({
  corpusName: z.string(),
  pieces: count,
  totalSixteenths: count,
  /** Lowest and highest MIDI pitch used; null for an empty corpus. */
  pitchRange: z.object({ min: pitchSchema, max: pitchSchema }).nullable(),
  /** Count of each token of the 130-token melody encoding (0-127 note-on, 128 note-off, 129 hold). */
  tokenHistogram: z.array(count),
  /** Pitches 0-127 that never occur: tokens the model cannot learn from this corpus. */
  unusedPitches: z.array(pitchSchema),
  /** Melody note-ons (tokens 0-127) over all pieces. */
  melodyNotes: count.optional(),
  /** Shortest, mean and longest piece, in sixteenths (0 when empty). */
  lengthSixteenths: z.object({ min: z.number(), mean: z.number(), max: z.number() }).optional(),
  /** Pieces per split ('train' | 'valid' | 'test' | 'none'). */
  splits: z.record(z.string(), count).optional(),
});
export type CorpusStatsDto = z.infer<typeof corpusStatsSchema>;

export const importFileSchema = z.object({
  name: nameSchema,
  /** Path inside a dropped / chosen folder ("folk/reels/a.mid"), shown in failure lists. */
  relativePath: z.string().max(4096).optional(),
  bytes: bytesSchema.refine((b) => b.byteLength <= MAX_IMPORT_FILE_BYTES, {
    message: `file is larger than ${MAX_IMPORT_FILE_BYTES / 1024 / 1024} MiB`,
  }),
});
export type ImportFileDto = z.infer<typeof importFileSchema>;

/** The result of an import job (job:finished result for kind 'import'). */
export const importReportSchema = z.object({
  corpusName: z.string(),
  /** Files (or JSON melodies) looked at. */
  files: count,
  imported: count,
  duplicates: count,
  /** Per-item failures, by the name the user knows (relative path or file name). */
  failed: z.array(z.object({ name: z.string(), code: z.string(), reason: z.string() })),
  /** Files imported, but not whole (a file cut short keeps the notes before the cut): what was lost, in words. */
  warnings: z.array(z.object({ name: z.string(), code: z.string(), message: z.string() })),
});
export type ImportReportDto = z.infer<typeof importReportSchema>;

// ---- models and training ----

export const specOverridesSchema = z
  .object({
    embeddingDim: z.number().int().min(1).max(2048),
    hiddenSize: z.number().int().min(1).max(2048),
    layers: z.number().int().min(1).max(4),
    dropout: z.number().min(0).max(0.9),
    window: z.number().int().min(1).max(512),
    /** The polyphonic kinds' sizes (biaxial-lstm, bi-lstm: src/core/model/polyLstmSpec.ts). */
    timeSizes: z.array(z.number().int().min(1).max(1024)).min(1).max(8),
    pitchSizes: z.array(z.number().int().min(1).max(1024)).min(1).max(8),
    downSizes: z.array(z.number().int().min(1).max(1024)).max(8),
    windowHidden: z.number().int().min(0).max(1024),
    segment: z.number().int().min(4).max(1024),
    /** The polyphonic kinds' training loss and its weight of sounding pitches (polyLstmSpec.ts). */
    loss: z.enum(['bce', 'weighted']),
    onWeight: z.number().positive().max(100),
    /** The polyphonic kinds' repeat input: frames of context matched (src/core/model/repeatMatch.ts); 0 = off. */
    repeatContext: z.number().int().min(0).max(64),
    /** 'chroma': the model learns with chords (inferred per beat from each piece's notes, src/core/music/chords.ts). */
    chords: z.literal('chroma'),
    /**
     * The melody model learns dynamics: each note's velocity as one of this many loudness levels of the corpus
     * (src/core/model/velocity.ts); 0 = off.
     */
    velocityBins: z.number().int().min(0).max(64),
  })
  .partial()
  .strict();
/** The model kinds a new model can be (src/core/model/registry.ts). */
export const modelKindSchema = z.enum(['melody-lstm', 'biaxial-lstm', 'bi-lstm']);
export type SpecOverrides = z.infer<typeof specOverridesSchema>;

export const trainingOverridesSchema = z
  .object({
    batchSize: z.number().int().min(1).max(4096),
    learningRate: z.number().positive().max(1),
    epochs: z.number().int().min(1).max(1000),
    validationFraction: z.number().min(0).max(0.5),
    earlyStoppingPatience: z.number().int().min(0).max(100),
    transpositions: z.array(z.number().int().min(-24).max(24)).max(49),
    clipNorm: z.number().min(0).max(1000),
    randomSeed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    // src/core/training/schedule.ts's SCHEDULE_NAMES (the contract imports nothing from core).
    learningRateSchedule: z.enum(['constant', 'anneal']),
    // src/core/training/weightAverage.ts's isAverageDecay: above 0 and below 1.
    weightAverageDecay: z.number().gt(0).lt(1),
    // src/core/model/spec.ts's isWeightDecay: AdamW's decoupled decay, within [0, 1].
    weightDecay: z.number().min(0).max(1),
  })
  .partial()
  .strict();
export type TrainingOverrides = z.infer<typeof trainingOverridesSchema>;

export const modelStatusSchema = z.enum(['training', 'ready', 'failed', 'cancelled']);

/**
 * The epoch a model composes with: its best on the validation pieces (where that checkpoint is kept), whether it is
 * that epoch's weight average, and its validation loss (absent when it never validated).
 */
export const composingEpochSchema = z.object({
  epoch: z.number(),
  average: z.boolean(),
  valLoss: z.number().optional(),
});

export const modelSchema = z.object({
  /** A library model's id as a string; 'default' for the bundled model. */
  id: z.string(),
  name: z.string(),
  /** True for the bundled default model (cannot be deleted). */
  builtin: z.boolean(),
  status: modelStatusSchema,
  engine: z.string().nullable(),
  corpusName: z.string().nullable(),
  /** The full ModelSpec (see src/core/model/spec.ts). */
  spec: z.record(z.string(), z.unknown()),
  training: z.record(z.string(), z.unknown()).nullable(),
  /** Last metrics: loss, valLoss, epoch, ... */
  metrics: z.record(z.string(), z.unknown()).nullable(),
  /** The epoch it composes with (absent before its first checkpoint, and for the bundled model). */
  composesWith: composingEpochSchema.optional(),
  createdAt: timestampMs,
  updatedAt: timestampMs,
});
export type ModelDto = z.infer<typeof modelSchema>;

// ---- quality report ----

const spreadSchema = z.object({
  count: z.number(),
  mean: z.number(),
  std: z.number(),
  min: z.number(),
  q1: z.number(),
  median: z.number(),
  q3: z.number(),
  max: z.number(),
});
const histogramPairSchema = z.object({
  labels: z.array(z.string()),
  takes: z.array(z.number()),
  corpus: z.array(z.number()),
});
const histogramDistanceSchema = z.object({ jensenShannon: z.number(), totalVariation: z.number() });

/** A model's quality report (src/main/services/evaluation.ts Evaluation): takes measured beside the corpus. */
export const evaluationSchema = z.object({
  modelName: z.string(),
  corpusName: z.string(),
  corpusPieces: z.number().int(),
  takes: z.number().int(),
  bars: z.number().int(),
  temperature: z.number(),
  randomSeed: z.number(),
  /** The checkpoint's epoch and last validation NLL (nats per token; null when it recorded none). */
  checkpoint: z.object({ epoch: z.number(), validationNll: z.number().nullable() }),
  /** One row per measure: its spread over the takes and over the corpus pieces (undefined: not defined). */
  rows: z.array(
    z.object({
      metric: z.string(),
      label: z.string(),
      takes: spreadSchema.optional(),
      corpus: spreadSchema.optional(),
    }),
  ),
  pitchClassHistogram: histogramPairSchema,
  noteLengthHistogram: histogramPairSchema,
  distances: z.object({ pitchClassHistogram: histogramDistanceSchema, noteLengthHistogram: histogramDistanceSchema }),
  degenerate: z.object({ count: z.number().int(), example: z.string().optional() }),
  keptDegenerate: z.number().int(),
  resampled: z.object({ takes: z.number().int(), tries: z.number().int() }),
});
export type EvaluationDto = z.infer<typeof evaluationSchema>;

// ---- jobs ----

export const jobKindSchema = z.enum(['import', 'train', 'generate', 'compose', 'render']);
export const jobStatusSchema = z.enum(['running', 'done', 'cancelled', 'failed']);

/** Mirrors JobProgress in src/core/jobs/progress.ts field by field. */
export const jobProgressSchema = z.object({
  /** Human-readable phase, e.g. "parsing", "epoch". */
  phase: z.string(),
  /** Items done in this phase. */
  current: z.number(),
  /** Items in this phase; 0 = unknown. */
  total: z.number(),
  /** The current item (a file name, a step). */
  detail: z.string().optional(),
  epoch: z.number().optional(),
  epochs: z.number().optional(),
  step: z.number().optional(),
  stepsPerEpoch: z.number().optional(),
  loss: z.number().optional(),
  valLoss: z.number().optional(),
  /** With weight averaging: the average's validation loss, at each epoch's end. */
  averageValLoss: z.number().optional(),
  sequencesPerSec: z.number().optional(),
  etaMs: z.number().optional(),
  engine: z.string().optional(),
  /** The engine in one sentence: its threads, or the GPU adapter it runs on. */
  engineDetail: z.string().optional(),
});
export type JobProgressDto = z.infer<typeof jobProgressSchema>;

export const jobErrorSchema = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });

export const jobSnapshotSchema = z.object({
  id: z.string(),
  kind: jobKindSchema,
  title: z.string(),
  status: jobStatusSchema,
  startedAt: timestampMs,
  finishedAt: timestampMs.optional(),
  progress: jobProgressSchema.optional(),
  /**
   * importReportSchema for 'import', trainResultSchema for 'train', composeResultSchema for 'generate',
   * wavExportResultSchema for 'render'.
   */
  result: z.unknown().optional(),
  error: jobErrorSchema.optional(),
});
export type JobSnapshotDto = z.infer<typeof jobSnapshotSchema>;

/** The result of a file:saveWav job (job:finished result for kind 'render'): where the WAV was written. */
export const wavExportResultSchema = z.object({ path: z.string() }).strict();
export type WavExportResultDto = z.infer<typeof wavExportResultSchema>;

/** The result of a training job (job:finished result for kind 'train'). */
export const trainResultSchema = z
  .object({
    modelId: z.string(),
    modelName: z.string(),
    epochs: z.number().optional(),
    loss: z.number().optional(),
    valLoss: z.number().optional(),
    engine: z.string().optional(),
    /** The epoch the model composes with: its best on valid, the weight average's where that was better. */
    composesWith: composingEpochSchema.optional(),
  })
  .passthrough();
export type TrainResultDto = z.infer<typeof trainResultSchema>;

// ---- composing ----

export const noteSchema = z.object({
  pitch: pitchSchema,
  startTick: z.number().int().min(0),
  durationTicks: z.number().int().min(1),
  /** MIDI velocity 0-127. */
  velocity: z.number().int().min(0).max(127),
});
export type NoteDto = z.infer<typeof noteSchema>;

/** The longest melody the studio and the app offer, in bars (the CLI allows more). */
export const MAX_COMPOSE_BARS = 64;
/** The most variations one compose:generate job samples (a job: progress per variation, cancellable), CLI and studio. */
export const MAX_COMPOSE_VARIATIONS = 1000;
/** Takes the Compose screen draws at once; a bigger batch is paged (a thousand piano rolls and scores would hold the page). */
export const TAKES_PER_PAGE = 12;

/** A meter: numerator over a power-of-two denominator whose bar is a whole number of sixteenths (3/4, 6/8, 5/4...). */
export const timeSignatureSchema = z
  .object({
    numerator: z.number().int().min(1).max(32),
    denominator: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8), z.literal(16)]),
  })
  .strict();
export type TimeSignatureDto = z.infer<typeof timeSignatureSchema>;

/** A take's meter from `tick` on (ticks at the take's ppq): one entry of its time-signature map. */
export const meterChangeSchema = z.object({ tick: z.number().int().min(0), ...timeSignatureSchema.shape }).strict();
export type MeterChangeDto = z.infer<typeof meterChangeSchema>;
/** A take's time-signature map when its meter changes (a clip in 4/4 then 3/4, continued): sorted, the first at 0. */
export const meterChangesSchema = z.array(meterChangeSchema).min(2).max(256);

export const generationRequestSchema = z.object({
  /** 'default' = the bundled model; otherwise a library model id. */
  model: z.string().min(1).max(100),
  /** The primer the composer plays in: MIDI pitches, one note-on each (1-64 notes). */
  seedNotes: z.array(pitchSchema).min(1).max(64),
  /** Sampling temperature: 1 = the model's distribution, lower = safer, higher = wilder. */
  temperature: z.number().min(0.05).max(5),
  /** Length in 4/4 bars of 16 sixteenths. */
  bars: z.number().int().min(1).max(MAX_COMPOSE_BARS),
  variations: z.number().int().min(1).max(MAX_COMPOSE_VARIATIONS),
  /** The sampler's RNG seed: same seed + settings + checkpoint = same notes. */
  randomSeed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  /** Key lock: a tonic and a scale ("D minor", "F# dorian", "A blues"), or "off" (the default). */
  key: z.string().trim().max(40).optional(),
  /** How strictly key and range hold, 0..1 (1 = never outside; default 1). */
  strictness: z.number().min(0).max(1).optional(),
  /** Pitch range lock (inclusive). */
  range: z
    .object({ low: pitchSchema, high: pitchSchema })
    .strict()
    .refine((r) => r.low <= r.high, { message: 'the low pitch must not be above the high pitch', path: ['high'] })
    .optional(),
  /** Meter of the take and of `bars` (default 4/4). */
  timeSignature: timeSignatureSchema.optional(),
  /** Tempo written to the take (default 120). */
  bpm: z.number().min(20).max(400).optional(),
  /** Timing and velocity jitter, 0..1 (default 0). */
  humanise: z.number().min(0).max(1).optional(),
  /** Note density, -1..1: sparser or busier than the model on its own (default 0). */
  density: z.number().min(-1).max(1).optional(),
  /**
   * A form over `bars`: "AABA", "ABAC", "AAB" or "verse-chorus" (src/core/model/form.ts), or "off" (the default).
   * Checked by the service, which answers FORM_INVALID with a sentence (an unknown form, or bars outside 32..128 or not
   * dividing into its sections).
   */
  form: z.string().trim().max(40).optional(),
  /**
   * Continue my clip: a MIDI clip the model hears in full (seedNotes are then ignored); the takes are `bars` more bars
   * in the clip's tempo, meter and key (locked at strictness 0.9 unless key/strictness say otherwise), on their own
   * or (`append`) after the clip.
   */
  continueClip: z
    .object({
      bytes: bytesSchema.refine((b) => b.byteLength <= MAX_IMPORT_FILE_BYTES, {
        message: `a clip must be at most ${MAX_IMPORT_FILE_BYTES} bytes`,
      }),
      name: z.string().min(1).max(MAX_NAME_LENGTH),
      append: z.boolean(),
    })
    .strict()
    .optional(),
  /** Loop mode: each take's last bar leads back into its first (re-sampled for the model's wrap score); loop markers. */
  loop: z.boolean().optional(),
  /**
   * Chords (a model trained with chords): a progression such as "C G Am F", repeated over the take, `barsPerChord`
   * bars a chord (default 1); each change is a marker in the take's MIDI and listed in the take's `chords`.
   */
  chords: z
    .object({
      progression: z.string().trim().min(1).max(400),
      barsPerChord: z.number().int().min(1).max(64).optional(),
    })
    .strict()
    .optional(),
});
export type GenerationRequestDto = z.infer<typeof generationRequestSchema>;

export const variationSchema = z.object({
  generationId: z.string(),
  /** 0-based index within this request. */
  index: z.number().int().min(0),
  /** The RNG seed this variation was sampled with (derived from the request's randomSeed). */
  randomSeed: z.number().int(),
  /** The melody tokens, seed included (0-127 note-on, 128 note-off, 129 hold). */
  tokens: z.array(z.number().int().min(0).max(129)),
  notes: z.array(noteSchema),
  ppq: z.number().int().min(1),
  bpm: z.number().positive(),
  /** The take's meter (the piano roll's and the score's bar lines); with meterChanges, the meter it ends in. */
  timeSignature: timeSignatureSchema.optional(),
  /** The take's time-signature map when its meter changes: the bar lines, the score's and the files' time signatures. */
  meterChanges: meterChangesSchema.optional(),
  /** With meterChanges: the take's length in ticks (its bars on its own map). */
  lengthTicks: z.number().int().min(0).optional(),
  /** Times a degenerate sample was thrown away and drawn again. */
  resampled: z.number().int().min(0),
  /** Loop mode's wrap scores (mean log-probability per step of the first bar after the last), before/after re-sampling. */
  loop: z.object({ wrapBefore: z.number(), wrapAfter: z.number(), tries: z.number().int().min(0) }).optional(),
  /**
   * A polyphonic model's take (tokens []): its notes are two staves', split at middle C (pitch >= 60 the upper). The
   * score shows a grand staff and the MIDI export writes the staves as two tracks, "Right hand" and "Left hand".
   */
  polyphonic: z.literal(true).optional(),
  /**
   * Set on the takes of a big batch beyond its first page: their tokens and notes are left out of the job's result
   * (a thousand takes' notes are megabytes, and encoding them at once held the IPC thread for ~170 ms); the screen
   * fetches a page's takes with generations:get when it shows that page.
   */
  deferred: z.literal(true).optional(),
  /** The chord changes the take followed (a chord-conditioned model given chords): symbol at tick. */
  chords: z.array(z.object({ tick: z.number().int().min(0), symbol: z.string() })).optional(),
});
export type VariationDto = z.infer<typeof variationSchema>;

/** The result of a compose:generate job (job:finished result for kind 'generate'). */
export const composeResultSchema = z.object({
  modelName: z.string(),
  engine: z.string(),
  /** The seed's most likely key (Krumhansl-Schmuckler), e.g. "D minor": the suggestion for the key lock. */
  suggestedKey: z.string().optional(),
  /** The key the takes were locked to, or "off". */
  key: z.string().optional(),
  variations: z.array(variationSchema),
});
export type ComposeResultDto = z.infer<typeof composeResultSchema>;

export const generationSchema = z.object({
  id: z.string(),
  modelId: z.string().nullable(),
  modelName: z.string().nullable(),
  name: z.string().nullable(),
  favourite: z.boolean(),
  /** What was asked, as stored (temperature, bars, randomSeed, the seed, the variation's derived seed, ...). */
  request: z
    .object({
      model: z.string().optional(),
      temperature: z.number().optional(),
      bars: z.number().optional(),
      variations: z.number().optional(),
      randomSeed: z.number().optional(),
      /** As the sampler stored it: pitches, or a description such as "C4 E4 G4". */
      seedNotes: z.unknown().optional(),
    })
    .passthrough(),
  tokens: z.array(z.number().int()),
  notes: z.array(noteSchema),
  ppq: z.number().int().min(1),
  bpm: z.number().positive(),
  /** The take's meter (its first time signature; 4/4 when it states none). */
  timeSignature: timeSignatureSchema.optional(),
  /** The take's time-signature map when its meter changes (see the variation's). */
  meterChanges: meterChangesSchema.optional(),
  /** With meterChanges: the take's length in ticks. */
  lengthTicks: z.number().int().min(0).optional(),
  createdAt: timestampMs,
});
export type GenerationDto = z.infer<typeof generationSchema>;
