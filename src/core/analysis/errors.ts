// SPDX-License-Identifier: MIT
/** Why an analysis input was rejected. */
export type AnalysisErrorCode = 'ANALYSIS_NO_NOTES' | 'ANALYSIS_BAD_INPUT';

/**
 * Thrown by the analysis functions on input they cannot measure (no notes where a key is asked
 * for, a non-positive PPQ, a histogram of the wrong length). `code` is stable; `message` is a
 * sentence for people.
 */
export class AnalysisError extends Error {
  override name = 'AnalysisError' as const;
  readonly code: AnalysisErrorCode;
  constructor(code: AnalysisErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
