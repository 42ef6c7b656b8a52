// SPDX-License-Identifier: MIT
/**
 * Typed failures of the sequence <-> token/frame encoders.
 * - `MELODY_TOKEN_INVALID`: a melody token outside 0..129 or not an integer.
 * - `ENCODING_PPQ_INVALID`: a PPQ that cannot hold the grid (not a positive integer, or the step
 *   would not be a whole number of ticks).
 * - `PIANOROLL_INVALID`: a piano-roll frame with a bad pitch or an onset that is not sounding.
 */
export type EncodingErrorCode = 'MELODY_TOKEN_INVALID' | 'ENCODING_PPQ_INVALID' | 'PIANOROLL_INVALID';

/** Thrown by the encoders in src/core/encoding on input they cannot represent. */
export class EncodingError extends Error {
  override name = 'EncodingError' as const;
  readonly code: EncodingErrorCode;
  constructor(code: EncodingErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Ticks per grid step, checked to be a whole number so decoded notes sit exactly on the grid.
 * @throws {EncodingError} ENCODING_PPQ_INVALID
 */
export function stepTicksOf(ppq: number, stepsPerQuarter: number): number {
  if (!Number.isInteger(ppq) || ppq <= 0) {
    throw new EncodingError('ENCODING_PPQ_INVALID', `ppq must be a positive integer, got: ${ppq}`);
  }
  if (!Number.isInteger(stepsPerQuarter) || stepsPerQuarter <= 0) {
    throw new EncodingError(
      'ENCODING_PPQ_INVALID',
      `stepsPerQuarter must be a positive integer, got: ${stepsPerQuarter}`,
    );
  }
  const stepTicks = ppq / stepsPerQuarter;
  if (!Number.isInteger(stepTicks)) {
    throw new EncodingError(
      'ENCODING_PPQ_INVALID',
      `ppq ${ppq} is not divisible by ${stepsPerQuarter} steps per quarter; choose a ppq that is (e.g. 480).`,
    );
  }
  return stepTicks;
}
