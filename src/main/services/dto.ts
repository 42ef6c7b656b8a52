// SPDX-License-Identifier: MIT
/**
 * The one place where library rows become contract shapes (src/shared/dto.ts). Every door that answers in contract
 * shapes (Electron IPC and the studio through src/main/ipc/handlers.ts) gets them from here.
 */
import type { NoteSequence } from '../../core/music/NoteSequence';
import type {
  CorpusDto,
  CorpusStatsDto,
  GenerationDto,
  ImportReportDto,
  JobSnapshotDto,
  ModelDto,
  PieceDto,
  MeterChangeDto,
  TimeSignatureDto,
} from '../../shared/dto';
import { meterChangesSchema } from '../../shared/dto';
import type { CorpusSummary, Generation, ModelRow, PieceSummary } from '../db/types';
import type { JobSnapshot } from '../jobs/JobManager';
import type { ComposingEpoch } from './composingCheckpoint';
import type { ImportReport } from './importService';
import { importStateOf } from './importState';
import type { CorpusStats } from './stats';

/** The id the contract uses for the bundled model. */
export const DEFAULT_MODEL_ID = 'default';

export function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function corpusDto(
  c: CorpusSummary | (Omit<CorpusSummary, 'pieceCount' | 'totalSixteenths'> & { pieceCount?: number }),
): CorpusDto {
  const dto: CorpusDto = {
    id: c.id,
    name: c.name,
    pieceCount: c.pieceCount ?? 0,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
  const importState = importStateOf(c);
  if (importState !== 'complete') dto.importState = importState;
  return dto;
}

export function pieceDto(p: PieceSummary): PieceDto {
  return {
    id: p.id,
    corpusId: p.corpusId,
    name: p.name,
    format: p.format,
    split: p.split,
    noteCount: p.noteCount,
    sixteenths: p.sixteenths,
    createdAt: p.createdAt,
  };
}

export function corpusStatsDto(stats: CorpusStats): CorpusStatsDto {
  return {
    corpusName: stats.corpusName,
    pieces: stats.pieces,
    totalSixteenths: stats.totalSixteenths,
    pitchRange: stats.pitchRange ? { min: stats.pitchRange.lowest, max: stats.pitchRange.highest } : null,
    tokenHistogram: stats.tokenHistogram,
    unusedPitches: stats.unusedPitches,
    melodyNotes: stats.melodyNotes,
    lengthSixteenths: stats.lengthSixteenths,
    splits: Object.fromEntries(
      Object.entries(stats.splits).filter((e): e is [string, number] => typeof e[1] === 'number'),
    ),
  };
}

export function importReportDto(report: ImportReport): ImportReportDto {
  return {
    corpusName: report.corpus.name,
    files: report.files,
    imported: report.imported,
    duplicates: report.duplicates,
    failed: report.failed.map((f) => ({ name: f.path, code: f.code, reason: f.reason })),
    warnings: report.warnings.map((w) => ({ name: w.path, code: w.code, message: w.message })),
  };
}

/**
 * A library model in contract shape. `status` is what every process sees: 'training' while a live lease holds the
 * model (src/main/services/trainingLease.ts), whichever process trains it; a row left at 'training' with no live
 * lease is a run that died, shown as 'cancelled' (it keeps its last checkpoint and can be resumed).
 */
export function modelDto(
  row: ModelRow,
  context: { corpusName: string | null; training: boolean; composesWith?: ComposingEpoch },
): ModelDto {
  const status = context.training ? 'training' : row.status === 'training' ? 'cancelled' : row.status;
  return {
    id: String(row.id),
    name: row.name,
    builtin: false,
    status,
    engine: row.engine || null,
    corpusName: context.corpusName,
    spec: asRecord(row.spec) ?? {},
    training: asRecord(row.training),
    metrics: asRecord(row.metrics),
    ...(context.composesWith ? { composesWith: context.composesWith } : {}),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function notesOf(seq: NoteSequence | null) {
  const notes = seq?.tracks.flatMap((t) => t.notes) ?? [];
  return notes
    .filter((n) => n.durationTicks >= 1)
    .map((n) => ({
      pitch: n.pitch,
      startTick: Math.round(n.startTick),
      durationTicks: Math.max(1, Math.round(n.durationTicks)),
      velocity: Math.max(0, Math.min(127, Math.round(n.velocity <= 1 ? n.velocity * 127 : n.velocity))),
    }))
    .sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}

export function generationDto(g: Generation, context: { modelName: string | null }): GenerationDto {
  const request = asRecord(g.request) ?? {};
  const fromDefault = request.model === DEFAULT_MODEL_ID;
  return {
    id: String(g.id),
    modelId: g.modelId === null ? (fromDefault ? DEFAULT_MODEL_ID : null) : String(g.modelId),
    modelName: context.modelName ?? (fromDefault ? 'Default model' : null),
    name: g.name,
    favourite: g.favourite,
    request,
    tokens: g.tokens ? Array.from(g.tokens) : [],
    notes: notesOf(g.sequence),
    ppq: g.sequence?.ppq ?? 480,
    bpm: g.sequence?.tempos[0]?.bpm ?? 120,
    ...(timeSignatureOf(g.sequence) ? { timeSignature: timeSignatureOf(g.sequence)! } : {}),
    ...meterChangesOf(g.sequence),
    createdAt: g.createdAt,
  };
}

export function jobDto(job: JobSnapshot): JobSnapshotDto {
  return {
    id: job.id,
    kind: job.kind,
    title: job.title,
    status: job.status,
    startedAt: job.startedAt,
    ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
    ...(job.progress ? { progress: job.progress } : {}),
    ...(job.result !== undefined ? { result: job.result } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}

/**
 * A take's time-signature map and length in contract shape, when its meter changes and every meter fits the contract;
 * {} otherwise (one meter: `timeSignature` says it).
 */
export function meterChangesOf(sequence: NoteSequence | null | undefined): {
  meterChanges?: MeterChangeDto[];
  lengthTicks?: number;
} {
  if (!sequence || sequence.timeSignatures.length < 2) return {};
  const parsed = meterChangesSchema.safeParse(
    sequence.timeSignatures.map((s) => ({ tick: s.tick, numerator: s.numerator, denominator: s.denominator })),
  );
  if (!parsed.success) return {};
  return {
    meterChanges: parsed.data,
    ...(sequence.totalTicks !== undefined ? { lengthTicks: Math.round(sequence.totalTicks) } : {}),
  };
}

/** A stored take's first time signature in contract shape, when it has one the grid holds. */
function timeSignatureOf(sequence: NoteSequence | null | undefined): TimeSignatureDto | undefined {
  const first = sequence?.timeSignatures[0];
  if (!first || ![1, 2, 4, 8, 16].includes(first.denominator) || first.numerator < 1 || first.numerator > 32)
    return undefined;
  return { numerator: first.numerator, denominator: first.denominator as TimeSignatureDto['denominator'] };
}
