// SPDX-License-Identifier: MIT
/**
 * A compact form of one voice of a piano-roll corpus, for a corpus bundled with the app (the bundled model's own
 * chorales, which `etude evaluate default` compares against in a packaged app with no ../shared/data beside it):
 * each piece is a flat list of runs [pitch, frames, pitch, frames, ...] where pitch -1 is silence. The voice is read
 * as the bundled model learnt it: a pitch repeated in consecutive frames is one held note (the frames cannot tell a
 * re-struck note from a held one), so runs lose nothing the melody tokens keep.
 */
import { NO_EVENT, NOTE_OFF } from '../encoding/melody';

/** Runs of one voice of frame-per-sixteenth piano-roll frames (frame[voice] is a pitch, or -1 for silence). */
export function voiceRuns(frames: readonly (readonly number[])[], voice: number): number[] {
  const runs: number[] = [];
  for (const frame of frames) {
    const raw = frame[voice];
    const pitch = raw === undefined || raw < 0 ? -1 : raw;
    if (runs.length > 0 && runs[runs.length - 2] === pitch) runs[runs.length - 1]++;
    else runs.push(pitch, 1);
  }
  return runs;
}

/**
 * Melody tokens (one per sixteenth) of runs: a run's first frame is its note-on (or a note-off for silence), the
 * rest are no-event tokens.
 * @throws Error naming the run when the list is malformed (odd length, a pitch outside -1..127, a length below 1)
 */
export function tokensFromRuns(runs: readonly number[]): number[] {
  if (runs.length % 2 !== 0) throw new Error(`a run list has an odd length (${runs.length}): pairs of pitch, frames`);
  const tokens: number[] = [];
  for (let i = 0; i < runs.length; i += 2) {
    const pitch = runs[i];
    const frames = runs[i + 1];
    if (!Number.isInteger(pitch) || pitch < -1 || pitch > 127)
      throw new Error(`run ${i / 2}: pitch ${pitch} is not -1 (silence) or 0..127`);
    if (!Number.isInteger(frames) || frames < 1) throw new Error(`run ${i / 2}: length ${frames} is not at least 1`);
    tokens.push(pitch < 0 ? NOTE_OFF : pitch);
    for (let k = 1; k < frames; k++) tokens.push(NO_EVENT);
  }
  return tokens;
}
