// SPDX-License-Identifier: MIT
/** Errors a model raises for input that does not fit it. */

export type ModelInputErrorCode =
  | 'BATCH_SHAPE_MISMATCH'
  | 'TOKEN_OUT_OF_RANGE'
  | 'DECODER_INPUT_INVALID'
  | 'DECODER_DISPOSED'
  | 'WEIGHTS_SHAPE_MISMATCH'
  | 'MODEL_DISPOSED';

/** Thrown when a batch, a decoder input or a set of weights does not fit the model; `message` says what to change. */
export class ModelInputError extends Error {
  override name = 'ModelInputError';
  constructor(
    readonly code: ModelInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}
