// SPDX-License-Identifier: MIT
import type { NoteSequence } from '../../../core/music/NoteSequence';
import { NotFoundError } from '../errors';
import type { CheckpointId, Generation, GenerationId, ModelId } from '../types';
import { blobToBytes, parseJsonColumn, type RepositoryContext } from './shared';

interface GenerationDbRow {
  id: number;
  model_id: number | null;
  checkpoint_id: number | null;
  request_json: string;
  tokens: Uint8Array | null;
  sequence_json: string | null;
  name: string;
  favourite: number;
  created_at: number;
}

function toGeneration(row: GenerationDbRow): Generation {
  return {
    id: row.id as GenerationId,
    modelId: row.model_id as ModelId | null,
    checkpointId: row.checkpoint_id as CheckpointId | null,
    request: JSON.parse(row.request_json) as unknown,
    tokens: row.tokens ? blobToBytes(row.tokens) : null,
    sequence: parseJsonColumn<NoteSequence>(row.sequence_json),
    name: row.name,
    favourite: row.favourite === 1,
    createdAt: row.created_at,
  };
}

export interface NewGeneration {
  modelId: ModelId | null;
  checkpointId: CheckpointId | null;
  /** Everything that reproduces the output: seedNotes, temperature, randomSeed, bars, ... */
  request: unknown;
  /** Melody tokens 0..129, one byte each. */
  tokens: Uint8Array | null;
  sequence: NoteSequence | null;
  name: string;
  favourite?: boolean;
}

export interface ListGenerationsOptions {
  modelId?: ModelId;
  favouritesOnly?: boolean;
  /** Default 200. */
  limit?: number;
}

/** The generation history: newest first. */
export interface GenerationsRepository {
  saveGeneration(generation: NewGeneration): Generation;
  listGenerations(options?: ListGenerationsOptions): Generation[];
  getGeneration(id: GenerationId): Generation | undefined;
  /** @throws NotFoundError */
  setFavourite(id: GenerationId, favourite: boolean): Generation;
  /** @throws NotFoundError */
  renameGeneration(id: GenerationId, name: string): Generation;
  deleteGeneration(id: GenerationId): boolean;
}

export function createGenerationsRepository({ db, now }: RepositoryContext): GenerationsRepository {
  const insert = db.prepare(`
    INSERT INTO generations (model_id, checkpoint_id, request_json, tokens, sequence_json, name, favourite, created_at)
    VALUES (@modelId, @checkpointId, @requestJson, @tokens, @sequenceJson, @name, @favourite, @createdAt) RETURNING *`);
  const byId = db.prepare<[number], GenerationDbRow>('SELECT * FROM generations WHERE id = ?');
  const list = db.prepare<[{ modelId: number | null; favouritesOnly: number; limit: number }], GenerationDbRow>(`
    SELECT * FROM generations
    WHERE (@modelId IS NULL OR model_id = @modelId) AND (@favouritesOnly = 0 OR favourite = 1)
    ORDER BY created_at DESC, id DESC LIMIT @limit`);
  const favourite = db.prepare<[number, number], GenerationDbRow>(
    'UPDATE generations SET favourite = ? WHERE id = ? RETURNING *',
  );
  const rename = db.prepare<[string, number], GenerationDbRow>(
    'UPDATE generations SET name = ? WHERE id = ? RETURNING *',
  );
  const remove = db.prepare<[number]>('DELETE FROM generations WHERE id = ?');

  return {
    saveGeneration(g) {
      const row = insert.get({
        modelId: g.modelId,
        checkpointId: g.checkpointId,
        requestJson: JSON.stringify(g.request ?? {}),
        tokens: g.tokens,
        sequenceJson: g.sequence ? JSON.stringify(g.sequence) : null,
        name: g.name,
        favourite: g.favourite ? 1 : 0,
        createdAt: now(),
      }) as GenerationDbRow;
      return toGeneration(row);
    },
    listGenerations(options = {}) {
      return list
        .all({
          modelId: options.modelId ?? null,
          favouritesOnly: options.favouritesOnly ? 1 : 0,
          limit: options.limit ?? 200,
        })
        .map(toGeneration);
    },
    getGeneration(id) {
      const row = byId.get(id);
      return row ? toGeneration(row) : undefined;
    },
    setFavourite(id, fav) {
      const row = favourite.get(fav ? 1 : 0, id);
      if (!row) throw new NotFoundError('generation', id);
      return toGeneration(row);
    },
    renameGeneration(id, name) {
      const row = rename.get(name, id);
      if (!row) throw new NotFoundError('generation', id);
      return toGeneration(row);
    },
    deleteGeneration(id) {
      return remove.run(id).changes > 0;
    },
  };
}
