// SPDX-License-Identifier: MIT
/// <reference lib="dom" />
// Callbacks passed to page.evaluate run in the browser: they need the DOM types.
/**
 * A fake `window.etude` (the preload bridge's shape from src/shared/ipc.ts) injected before the
 * renderer loads, so the renderer's behaviour can be checked without a model or a library:
 * it records every call, answers from canned data, and lets the test push job events.
 * Runs in the page: no imports, plain JS only.
 */
export interface FakeOptions {
  /** Make app:info fail with this code (e.g. LIBRARY_FROM_FUTURE). */
  appInfoErrorCode?: string;
}

export function installFakeBridge(options: FakeOptions): void {
  type Listener = (payload: unknown) => void;
  const listeners = new Map<string, Set<Listener>>();
  const calls: { channel: string; payload: unknown }[] = [];
  const saved: number[][] = [];
  let corpora: { id: number; name: string; pieceCount: number; createdAt: number; updatedAt: number }[] = [];
  let jobCounter = 0;
  /** Notes of every take generated, by generation id (generations:get answers from here). */
  const takeNotes = new Map<string, unknown[]>();
  /** Takes a result carries with their notes, as main does (TAKES_PER_PAGE in src/shared/dto.ts); later ones deferred. */
  const FIRST_PAGE = 12;

  const ppq = 480;
  const sixteenth = ppq / 4;
  /** A deterministic melody per variation: a scale walk from the first seed note. */
  const melody = (
    index: number,
    seedNotes: number[],
    bars: number,
    meter?: { numerator: number; denominator: number },
  ) => {
    const notes = [];
    const quartersPerBar = meter ? (4 * meter.numerator) / meter.denominator : 4;
    const start = seedNotes[0] ?? 60;
    const steps = [0, 2, 4, 5, 7, 5, 4, 2];
    for (let i = 0; i < bars * quartersPerBar; i++) {
      notes.push({
        pitch: start + steps[(i + index) % steps.length] + (i % 8 === 7 ? 1 : 0),
        startTick: i * 4 * sixteenth,
        durationTicks: (i % 3 === 2 ? 2 : 3) * sixteenth,
        velocity: 60 + ((i * 13) % 60),
      });
    }
    return notes;
  };

  const emit = (event: string, payload: unknown) => {
    for (const l of listeners.get(event) ?? []) l(payload);
  };

  const answer = (channel: string, payload: Record<string, unknown>): unknown => {
    const now = Date.now();
    switch (channel) {
      case 'app:info':
        if (options.appInfoErrorCode)
          throw { code: options.appInfoErrorCode, message: 'library.db schema version 99 is newer than this app (5)' };
        return {
          appVersion: '0.1.0-fake',
          door: 'electron',
          dataDir: '/fake/data',
          engine: { name: 'wasm', threads: 2, description: 'wasm engine (fake), 2 threads' },
          defaultModelPresent: true,
          capabilities: { importDialog: false, saveDialog: false, nativeDrag: false },
        };
      case 'library:listCorpora':
        return corpora;
      case 'library:importFiles': {
        const name = payload.corpusName as string;
        if (!corpora.some((c) => c.name === name))
          corpora = [...corpora, { id: corpora.length + 1, name, pieceCount: 0, createdAt: now, updatedAt: now }];
        return { jobId: `job-${++jobCounter}` };
      }
      case 'library:renameCorpus': {
        const c = corpora.find((x) => x.name === payload.corpusName);
        if (!c) throw { code: 'NOT_FOUND', message: `no corpus named ${payload.corpusName}` };
        corpora = corpora.map((x) => (x === c ? { ...x, name: payload.newName as string } : x));
        return { ...c, name: payload.newName };
      }
      case 'library:deleteCorpus':
        corpora = corpora.filter((x) => x.name !== payload.corpusName);
        return { corpusName: payload.corpusName };
      case 'library:corpusStats':
        return {
          corpusName: payload.corpusName,
          pieces: 2,
          totalSixteenths: 512,
          pitchRange: { min: 55, max: 79 },
          tokenHistogram: Array.from({ length: 130 }, (_, t) =>
            t === 129 ? 300 : t === 128 ? 40 : t >= 55 && t <= 79 && t % 2 === 0 ? 10 + t : 0,
          ),
          unusedPitches: Array.from({ length: 128 }, (_, p) => p).filter((p) => !(p >= 55 && p <= 79 && p % 2 === 0)),
        };
      case 'job:list':
        return [];
      case 'train:start':
        return { jobId: `train-${++jobCounter}` };
      case 'job:cancel':
        return { cancelled: true };
      case 'models:list':
        return [
          {
            id: 'default',
            name: 'default',
            builtin: true,
            status: 'ready',
            engine: null,
            corpusName: null,
            spec: {},
            training: null,
            metrics: null,
            createdAt: 0,
            updatedAt: 0,
          },
        ];
      case 'compose:generate': {
        // A job, as main answers it: the id at once, then one progress event per variation and job:finished.
        const jobId = `generate-${++jobCounter}`;
        const count = payload.variations as number;
        // A take of a model trained with chords lists the changes it followed: the progression repeated over the bars.
        const meter = (payload.timeSignature as { numerator: number; denominator: number } | undefined) ?? {
          numerator: 4,
          denominator: 4,
        };
        const chordRequest = payload.chords as { progression: string; barsPerChord: number } | undefined;
        const chordList = chordRequest
          ? Array.from({ length: Math.ceil((payload.bars as number) / chordRequest.barsPerChord) }, (_, i) => {
              const symbols = chordRequest.progression.split(/\s+/);
              return {
                tick: (i * chordRequest.barsPerChord * ppq * 4 * meter.numerator) / meter.denominator,
                symbol: symbols[i % symbols.length],
              };
            })
          : undefined;
        const result = {
          modelName: 'default',
          engine: 'wasm',
          key: (payload.key as string | undefined) ?? 'off',
          variations: Array.from({ length: count }, (_, index) => {
            const generationId = `gen-${payload.randomSeed}-${index}`;
            const notes = melody(
              index,
              payload.seedNotes as number[],
              payload.bars as number,
              payload.timeSignature as { numerator: number; denominator: number } | undefined,
            );
            takeNotes.set(generationId, notes);
            return {
              generationId,
              index,
              randomSeed: (payload.randomSeed as number) + index,
              tokens: [],
              notes: index < FIRST_PAGE ? notes : [],
              ppq,
              bpm: 110,
              ...(payload.timeSignature ? { timeSignature: payload.timeSignature } : {}),
              resampled: 0,
              ...(chordList ? { chords: chordList } : {}),
              ...(index < FIRST_PAGE ? {} : { deferred: true }),
            };
          }),
        };
        setTimeout(() => {
          for (let index = 0; index < count; index++)
            emit('job:progress', {
              jobId,
              kind: 'generate',
              progress: { phase: 'generating', current: index, total: count, detail: `variation ${index + 1}` },
            });
          emit('job:finished', { jobId, kind: 'generate', status: 'done', result });
        }, 20);
        return { jobId };
      }
      case 'file:saveMidi':
        saved.push(Array.from(payload.bytes as Uint8Array));
        return { path: `/fake/data/exports/${payload.suggestedName}` };
      case 'generations:get':
        return (payload.generationIds as string[]).map((id) => ({
          id,
          modelId: null,
          modelName: 'default',
          name: null,
          favourite: false,
          request: {},
          tokens: [],
          notes: takeNotes.get(id) ?? [],
          ppq,
          bpm: 110,
          createdAt: now,
        }));
      case 'generations:saveFavourite':
        return {
          id: payload.generationId,
          modelId: null,
          modelName: 'default',
          name: payload.name,
          favourite: true,
          request: {},
          tokens: [],
          notes: [],
          ppq,
          bpm: 110,
          createdAt: now,
        };
      default:
        throw { code: 'UNSUPPORTED', message: `the fake bridge does not answer ${channel}` };
    }
  };

  const bridge = {
    async call(channel: string, payload: Record<string, unknown>) {
      calls.push({ channel, payload });
      try {
        return { ok: true, value: answer(channel, payload) };
      } catch (error) {
        return { ok: false, error };
      }
    },
    on(event: string, listener: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)?.add(listener);
      return () => listeners.get(event)?.delete(listener);
    },
    ready() {},
  };
  const w = window as unknown as Record<string, unknown>;
  w.etude = bridge;
  w.__fake = {
    calls,
    saved,
    emit,
  };
}
