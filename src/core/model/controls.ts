// SPDX-License-Identifier: MIT
/**
 * Composer controls applied while sampling a melody: a key lock (a scale's pitch classes), a pitch range and a note
 * density.
 *
 * Strictness s in [0, 1]: every note-on token whose pitch is outside the scale or the range gets log(1 - s) added to
 * its temperature-scaled logit (s = 1: -Infinity, never sampled), then the distribution is renormalised. Put in
 * probabilities: an outside note keeps (1 - s) of its probability before renormalisation, whatever the temperature.
 * Note-off (128) and no-event (129) are never touched, so a lock cannot force a note to be played.
 *
 * Note density d in [-1, 1]: every note-on token gets d * ln(4) added as well, so the odds of starting a new note
 * against holding or resting are multiplied by 4^d (d = 1: four times the odds, busier; d = -1: a quarter, sparser)
 * before renormalisation; pitches keep their relative odds. Added to the lock's bias (log-odds add up).
 *
 * With no key, no range (or s = 0) and density 0 there is no bias at all: the sampler runs exactly as without controls,
 * on the same random stream.
 */
import { MELODY_VOCAB } from '../encoding/melody';
import { scalePitchClasses, type PitchRange, type ScaleKey } from '../music/scales';

export interface PitchControls {
  /** Scale to lock to; null/undefined = off. */
  key?: ScaleKey | null;
  /** Pitches allowed; undefined = the whole keyboard. */
  range?: PitchRange | null;
  /** 0..1 (default 1 when a key or range is set). */
  strictness?: number;
  /** -1..1: sparser (< 0) or busier (> 0) than the model on its own (default 0). */
  density?: number;
}

/** The log-odds a density of 1 adds to every note-on: four times the odds of a new note. */
export const DENSITY_LOG_ODDS = Math.log(4);

/** Thrown for a strictness outside [0, 1] or a range that is not low..high within 0..127. */
export class ControlsError extends Error {
  override name = 'ControlsError';
  readonly code = 'CONTROLS_INVALID' as const;
}

/**
 * The bias to add to temperature-scaled melody logits (length 130), or undefined when the controls change nothing.
 * @throws ControlsError for a strictness outside [0, 1] or a bad range; PitchNameError for a scale tonal does not know.
 */
export function melodyPitchBias(controls: PitchControls | undefined): Float64Array | undefined {
  if (!controls) return undefined;
  const s = controls.strictness ?? 1;
  if (!(s >= 0 && s <= 1)) throw new ControlsError(`strictness must be within [0, 1], got: ${s}`);
  const range = controls.range;
  if (range) {
    const pitch = (p: number) => Number.isInteger(p) && p >= 0 && p <= 127;
    if (!pitch(range.low) || !pitch(range.high))
      throw new ControlsError(
        `the range's pitches must be whole numbers within [0, 127], got: ${range.low}-${range.high}`,
      );
    if (range.low > range.high)
      throw new ControlsError(
        `the range ${range.low}-${range.high} runs downwards: its low pitch must not be above its high pitch (e.g. 48-84)`,
      );
  }
  const density = controls.density ?? 0;
  if (!(density >= -1 && density <= 1)) throw new ControlsError(`density must be within [-1, 1], got: ${density}`);
  const locked = (controls.key || controls.range) && s > 0;
  if (!locked && density === 0) return undefined;
  const inScale = controls.key ? new Set(scalePitchClasses(controls.key)) : undefined;
  const penalty = locked ? Math.log(1 - s) : 0; // -Infinity at s = 1
  const bias = new Float64Array(MELODY_VOCAB);
  for (let pitch = 0; pitch < 128; pitch++) {
    const outside =
      locked &&
      ((inScale !== undefined && !inScale.has(pitch % 12)) ||
        (controls.range ? pitch < controls.range.low || pitch > controls.range.high : false));
    bias[pitch] = (outside ? penalty : 0) + density * DENSITY_LOG_ODDS;
  }
  return bias;
}

/** Whether a pitch is inside the key and the range (for measuring a take against its controls). */
export function pitchAllowed(pitch: number, controls: PitchControls): boolean {
  if (controls.key && !scalePitchClasses(controls.key).includes(pitch % 12)) return false;
  if (controls.range && (pitch < controls.range.low || pitch > controls.range.high)) return false;
  return true;
}

/**
 * The same controls for a polyphonic model's frames: a bias per pitch of its window (lowPitch .. lowPitch + pitches - 1)
 * added to each pitch's temperature-scaled logit before its Bernoulli draw. A pitch outside the key or range gets
 * log(1 - s) (its odds of sounding times 1 - s; never at s = 1); density d adds d * ln 4 to every pitch (its odds
 * times 4^d). Undefined when the controls change nothing.
 * @throws ControlsError, PitchNameError as melodyPitchBias
 */
export function framePitchBias(
  controls: PitchControls | undefined,
  window: { lowPitch: number; pitches: number },
): Float64Array | undefined {
  const melody = melodyPitchBias(controls);
  if (!melody) return undefined;
  return Float64Array.from({ length: window.pitches }, (_, p) => melody[window.lowPitch + p]);
}
