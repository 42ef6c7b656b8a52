// SPDX-License-Identifier: MIT
/**
 * The contract of 'compose:regenerate' (src/shared/ipc.ts): regenerate bars of a melody take (infill,
 * src/core/model/infill.ts), or bars x a pitch range of a polyphonic take (src/core/model/polyInfill.ts). Kept in its own file so the compose contract in ./dto.ts stays as it is.
 */
import { z } from 'zod';
import { idSchema, MAX_COMPOSE_BARS, noteSchema, pitchSchema, timeSignatureSchema } from './dto';

/** The most candidates one regeneration may draw (src/core/model/infillSelection.ts MAX_INFILL_CANDIDATES). */
export const MAX_REGENERATE_CANDIDATES = 64;
/** The most notes a take sent for regeneration may hold (64 bars of sixteenths is 1024). */
export const MAX_REGENERATE_NOTES = 4096;

export const regenerateRequestSchema = z
  .object({
    /** 'default' = the bundled model; otherwise a library model id or name. */
    model: z.string().min(1).max(100),
    /** The take's notes as the roll shows them now (edits included): what is kept outside the selection. */
    notes: z.array(noteSchema).max(MAX_REGENERATE_NOTES),
    /** Ticks per quarter of the notes (divisible by 4: the sixteenth grid). */
    ppq: z
      .number()
      .int()
      .min(24)
      .max(15360)
      .refine((p) => p % 4 === 0, { message: 'must be divisible by 4' }),
    /** The take's length in bars of its meter. */
    bars: z.number().int().min(2).max(MAX_COMPOSE_BARS),
    /** First bar regenerated, counted from 0 (at least 1: the model starts from the music before it). */
    fromBar: z
      .number()
      .int()
      .min(1)
      .max(MAX_COMPOSE_BARS - 1),
    /** The bar after the selection, counted from 0 (exclusive; at most `bars`). */
    toBar: z.number().int().min(2).max(MAX_COMPOSE_BARS),
    temperature: z.number().min(0.05).max(5),
    randomSeed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    /** The take's meter (default 4/4). */
    timeSignature: timeSignatureSchema.optional(),
    /** Candidates drawn and weighed by the following bar (default 12). */
    candidates: z.number().int().min(1).max(MAX_REGENERATE_CANDIDATES).optional(),
    /**
     * A polyphonic take: the pitches to draw again (MIDI, both included; default all): notes of other pitches stay as
     * they are, in the selected bars too. A melody take regenerates whole bars and takes no pitch range.
     */
    pitches: z
      .object({ low: pitchSchema, high: pitchSchema })
      .strict()
      .refine((r) => r.low <= r.high, { message: 'the low pitch must not be above the high pitch', path: ['high'] })
      .optional(),
    /**
     * The stored take these notes come from: its key/range/density lock and chord progression steer the
     * regenerated bars as they steered the take. Without it nothing is locked and no chords are heard.
     */
    generationId: idSchema.optional(),
  })
  .strict()
  .refine((r) => r.toBar > r.fromBar, { message: 'the selection must end after it starts', path: ['toBar'] })
  .refine((r) => r.toBar <= r.bars, { message: 'the selection must end within the take', path: ['toBar'] });
export type RegenerateRequestDto = z.infer<typeof regenerateRequestSchema>;

export const regenerateResultSchema = z.object({
  /** The take's notes after regeneration: those outside the selection as sent, the selection's new. */
  notes: z.array(noteSchema),
  /** The take's melody tokens after regeneration (one per sixteenth); [] for a polyphonic take. */
  tokens: z.array(z.number().int().min(0).max(129)),
  /**
   * Seam scores: the model's mean log-probability per step (a polyphonic model: per frame) of the bar after the
   * selection, after the kept candidate
   * (infill) and after a plain left-to-right re-generation of the same bars (candidate 0). null when nothing follows.
   */
  seam: z.object({ infill: z.number(), leftToRight: z.number() }).nullable(),
  candidates: z.number().int().min(1),
  /** Which candidate was kept (0 = the left-to-right one). */
  kept: z.number().int().min(0),
});
export type RegenerateResultDto = z.infer<typeof regenerateResultSchema>;
