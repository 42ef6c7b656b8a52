// SPDX-License-Identifier: MIT
/**
 * "Save WAV" as every door runs it: the take's MIDI through the contract's file:saveWav, rendered by main with the
 * bundled SoundFont, saved by the studio door, then read back by sox (an independent reader) for its length:
 * bars x beats x 60 / bpm, plus the 2 s release tail (none for a loop, whose tail is folded onto its start). Also
 * `etude render`, and the render held against FluidSynth's render of the same MIDI with the same SoundFont.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_TAIL_SEC } from '../../src/core/audio/renderLength';
import { loadSoundBank, renderMidi } from '../../src/core/audio/renderMidi';
import { writeLoopMidi } from '../../src/core/midi/loopMidi';
import { writeMidi } from '../../src/core/midi/writeMidi';
import type { Note, NoteSequence } from '../../src/core/music/NoteSequence';
import { createAppServices, type AppServices } from '../../src/main/services/app';
import { createHandlers, dispatch, type Handlers } from '../../src/main/ipc/handlers';
import { createStudioDoor } from '../../src/studio/exportsDoor';
import { decodeWav16, monoMix, similarity } from '../audio/spectral';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const soundFont = path.join(repoRoot, 'resources/soundfont/etude-gm.sf3');
const PPQ = 480;

/** A take of `bars` bars of 3/4 at `bpm`: a crotchet a beat walking up and down a C major scale. */
function take(bars: number, bpm: number, program = 0, transpose = 0): NoteSequence {
  const scale = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65];
  const notes: Note[] = Array.from({ length: bars * 3 }, (_, i) => ({
    pitch: scale[i % scale.length]! + transpose,
    startTick: i * PPQ,
    durationTicks: PPQ - 40,
    velocity: 80 + (i % 3) * 10,
  }));
  return {
    ppq: PPQ,
    name: 'take',
    tempos: [{ tick: 0, bpm }],
    timeSignatures: [{ tick: 0, numerator: 3, denominator: 4 }],
    keySignatures: [],
    tracks: [{ name: 'Melody', program, channel: 0, isPercussion: false, notes }],
  };
}

const soxSeconds = (file: string) => Number(execFileSync('soxi', ['-D', file], { encoding: 'utf8' }).trim());

let dataDir: string;
let app: AppServices;
let handlers: Handlers;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-wav-export-'));
  app = createAppServices({ dataDir, resourcesDir: path.join(repoRoot, 'resources') });
  handlers = createHandlers(app, createStudioDoor(dataDir), { validateResponses: true, logError: () => {} });
});
afterAll(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** file:saveWav answers a render job; its job:finished result says where the WAV went. */
async function saveWav(payload: Record<string, unknown>): Promise<string> {
  const answer = await dispatch(handlers, 'file:saveWav', payload);
  expect(answer.ok, JSON.stringify(answer)).toBe(true);
  const { jobId } = (answer as { value: { jobId: string } }).value;
  const finished = await app.jobs.wait(jobId);
  expect(finished.status, JSON.stringify(finished.error)).toBe('done');
  return (finished.result as { path: string }).path;
}

describe('file:saveWav (studio door)', () => {
  it('saves a take as bars x beats x 60/bpm seconds plus the release tail, read back by sox', async () => {
    // 6 bars of 3/4 at 90 bpm: 18 beats x 2/3 s = 12 s, plus 2 s.
    const file = await saveWav({
      midi: writeMidi(take(6, 90)),
      suggestedName: 'waltz.mid',
      endTick: 6 * 3 * PPQ,
      loop: false,
    });
    expect(path.basename(file)).toBe('waltz.wav');
    expect(soxSeconds(file)).toBeCloseTo(6 * 3 * (60 / 90) + RELEASE_TAIL_SEC, 4);
    expect(execFileSync('soxi', ['-r', file], { encoding: 'utf8' }).trim()).toBe('44100');
    // Loud enough to hear: the export is scaled to a -1 dBFS peak.
    const { channels } = decodeWav16(readFileSync(file));
    const max = channels.reduce((m, c) => c.reduce((a, s) => Math.max(a, Math.abs(s)), m), 0);
    expect(max).toBeGreaterThan(0.85);
    expect(max).toBeLessThan(0.9);
  });

  it('saves a loop take exactly its bars long, with the release folded onto its first beat', async () => {
    // 4 bars of 3/4 at 120 bpm: 12 beats x 0.5 s = 6 s exactly.
    const file = await saveWav({
      midi: writeLoopMidi(take(4, 120), 4 * 3 * PPQ),
      suggestedName: 'loop',
      endTick: 4 * 3 * PPQ,
      loop: true,
    });
    expect(soxSeconds(file)).toBe(6);
    const [left] = decodeWav16(readFileSync(file)).channels;
    // The take's first note starts at 0 s; the first 2 ms hold only the previous pass's last note ringing on.
    const ringing = left!.subarray(0, 88).reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(ringing).toBeGreaterThan(1e-3);
  });

  it('refuses a take with no length in one sentence naming the field, and saves nothing', async () => {
    const answer = await dispatch(handlers, 'file:saveWav', {
      midi: writeMidi(take(1, 120)),
      suggestedName: 'x',
      endTick: 0,
      loop: false,
    });
    expect(answer.ok).toBe(false);
    expect((answer as { error: { code: string; message: string } }).error.code).toBe('INVALID_PAYLOAD');
    expect((answer as { error: { message: string } }).error.message).toMatch(/endTick/);
  });
});

describe('bad input to Save WAV and etude render', () => {
  it('answers bytes that are not MIDI with one sentence, no stack trace', async () => {
    const answer = await dispatch(handlers, 'file:saveWav', {
      midi: new TextEncoder().encode('not a midi file'),
      suggestedName: 'x',
      endTick: 1920,
      loop: false,
    });
    expect(answer.ok).toBe(false);
    const { message } = (answer as { error: { message: string } }).error;
    expect(message).toMatch(/not a Standard MIDI File/);
    expect(message).not.toMatch(/\n\s+at /);
  });

  it('says which file is missing, not MIDI, or not a SoundFont', () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'etude-render-bad-'));
    try {
      writeFileSync(path.join(work, 'notes.txt'), 'hello');
      writeFileSync(path.join(work, 'take.mid'), writeMidi(take(1, 120)));
      const render = (...args: string[]) => {
        try {
          execFileSync(process.execPath, [path.join(repoRoot, 'bin/etude.mjs'), 'render', ...args], {
            cwd: work,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, ETUDE_DEBUG: '' },
          });
          return '';
        } catch (err) {
          return String((err as { stderr: string }).stderr).trim();
        }
      };
      expect(render('missing.mid', 'out.wav')).toMatch(/^etude: render: there is no file .*missing\.mid/);
      expect(render('notes.txt', 'out.wav')).toMatch(/^etude: render: notes\.txt: this is not a Standard MIDI File/);
      expect(render('take.mid', 'out.wav', '--soundfont', 'notes.txt')).toMatch(
        /notes\.txt is not a SoundFont \(\.sf2\/\.sf3\) that can be read/,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('etude render', () => {
  it('writes the WAV of a MIDI file, its length read from its notes up to a whole bar', () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'etude-render-cli-'));
    try {
      const sequence = take(3, 100);
      // The last note ends early: the file is still 3 whole bars (9 beats x 0.6 s) + 2 s.
      sequence.tracks[0]!.notes.at(-1)!.durationTicks = 100;
      writeFileSync(path.join(work, 'take.mid'), writeMidi(sequence));
      const out = execFileSync(
        process.execPath,
        [path.join(repoRoot, 'bin/etude.mjs'), 'render', 'take.mid', 'take.wav'],
        { cwd: work, encoding: 'utf8' },
      );
      expect(out).toMatch(/wrote .*take\.wav \(7\.400 s, etude-gm\.sf3\)/);
      expect(soxSeconds(path.join(work, 'take.wav'))).toBeCloseTo(9 * 0.6 + RELEASE_TAIL_SEC, 4);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('etude generate --wav', () => {
  it('writes each take as WAV beside its MIDI: a loop take exactly its bars, a plain one its bars + 2 s', () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'etude-generate-wav-'));
    try {
      const etude = (...args: string[]) =>
        execFileSync(
          process.execPath,
          [path.join(repoRoot, 'bin/etude.mjs'), '--data-dir', path.join(work, 'data'), 'generate', 'default', ...args],
          { cwd: work, encoding: 'utf8', env: { ...process.env, ETUDE_DEBUG: '' } },
        );
      etude('--seed-notes', '67', '--bars', '4', '--loop', '--wav', '--out', 'loop', '--engine', 'wasm');
      // 4 bars of 4/4 at 120 bpm: 16 beats x 0.5 s.
      expect(soxSeconds(path.join(work, 'loop/default-seed1-1.wav'))).toBe(8);
      etude('--seed-notes', '67', '--bars', '2', '--meter', '3/4', '--bpm', '90', '--wav', '--out', 'plain');
      // 2 bars of 3/4 at 90 bpm: 6 beats x 2/3 s = 4 s, plus the tail.
      expect(soxSeconds(path.join(work, 'plain/default-seed1-1.wav'))).toBeCloseTo(4 + RELEASE_TAIL_SEC, 4);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('held against FluidSynth', () => {
  it('renders a take as fluidsynth does with the same SoundFont; a transposed or re-voiced take scores clearly worse', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'etude-vs-fluid-'));
    try {
      const bank = await loadSoundBank(readFileSync(soundFont));
      const fluid = (sequence: NoteSequence, name: string) => {
        const mid = path.join(work, `${name}.mid`);
        const wav = path.join(work, `${name}.wav`);
        writeFileSync(mid, writeMidi(sequence));
        execFileSync('fluidsynth', ['-ni', '-F', wav, '-r', '44100', '-g', '0.5', soundFont, mid], { stdio: 'ignore' });
        return monoMix(decodeWav16(readFileSync(wav)).channels);
      };
      const ours = monoMix(
        (await renderMidi(writeMidi(take(4, 120)), bank, { lengthSec: 8, loop: false, tailSec: 2 })).channels,
      );
      const same = similarity(ours, fluid(take(4, 120), 'same'), 44_100);
      const tritone = similarity(ours, fluid(take(4, 120, 0, 6), 'tritone'), 44_100);
      const strings = similarity(ours, fluid(take(4, 120, 48), 'strings'), 44_100);
      const show = (s: typeof same) =>
        `chroma ${s.chroma.toFixed(3)}, log-spectrum ${s.logSpectrum.toFixed(3)}, envelope ${s.envelope.toFixed(3)}`;
      console.log(
        `spessasynth_core vs fluidsynth: same ${show(same)}; tritone ${show(tritone)}; strings ${show(strings)}`,
      );
      expect(same.chroma).toBeGreaterThan(0.95);
      expect(same.logSpectrum).toBeGreaterThan(0.95);
      expect(same.envelope).toBeGreaterThan(0.8);
      expect(tritone.chroma).toBeLessThan(0.5);
      expect(strings.logSpectrum).toBeLessThan(0.92);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
