// SPDX-License-Identifier: MIT
import { NameTakenError, NotFoundError } from '../errors';
import type { CorpusId, ModelId, ModelRow, ModelStatus } from '../types';
import { isUniqueViolation, parseJsonColumn, validateName, type RepositoryContext } from './shared';

interface ModelDbRow {
  id: number;
  name: string;
  spec_json: string;
  training_json: string;
  corpus_id: number | null;
  engine: string;
  status: ModelStatus;
  metrics_json: string | null;
  created_at: number;
  updated_at: number;
}

function toModel(row: ModelDbRow): ModelRow {
  return {
    id: row.id as ModelId,
    name: row.name,
    spec: JSON.parse(row.spec_json) as unknown,
    training: JSON.parse(row.training_json) as unknown,
    corpusId: row.corpus_id as CorpusId | null,
    engine: row.engine,
    status: row.status,
    metrics: parseJsonColumn<unknown>(row.metrics_json),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewModel {
  name: string;
  spec: unknown;
  training: unknown;
  corpusId: CorpusId | null;
  engine: string;
  /** Default 'training'. */
  status?: ModelStatus;
  metrics?: unknown;
}

export type ModelPatch = Partial<Pick<ModelRow, 'name' | 'status' | 'metrics' | 'engine' | 'training' | 'spec'>>;

/** Trained (or training) models. Names are unique, case-insensitively. */
export interface ModelsRepository {
  /** @throws NameTakenError, InvalidLibraryInputError */
  createModel(model: NewModel): ModelRow;
  /** Updates the given fields and updated_at. @throws NotFoundError, NameTakenError */
  updateModel(id: ModelId, patch: ModelPatch): ModelRow;
  /** Newest first. */
  listModels(): ModelRow[];
  getModel(id: ModelId): ModelRow | undefined;
  getModelByName(name: string): ModelRow | undefined;
  /** Deletes the model and (cascade) its checkpoints; generations keep existing with model_id NULL. */
  deleteModel(id: ModelId): boolean;
}

export function createModelsRepository({ db, now }: RepositoryContext): ModelsRepository {
  const insert = db.prepare(`
    INSERT INTO models (name, spec_json, training_json, corpus_id, engine, status, metrics_json, created_at, updated_at)
    VALUES (@name, @specJson, @trainingJson, @corpusId, @engine, @status, @metricsJson, @now, @now) RETURNING *`);
  const byId = db.prepare<[number], ModelDbRow>('SELECT * FROM models WHERE id = ?');
  const byName = db.prepare<[string], ModelDbRow>('SELECT * FROM models WHERE name = ?');
  const list = db.prepare<[], ModelDbRow>('SELECT * FROM models ORDER BY created_at DESC, id DESC');
  const remove = db.prepare<[number]>('DELETE FROM models WHERE id = ?');
  const update = db.prepare(`
    UPDATE models SET name = @name, spec_json = @specJson, training_json = @trainingJson, engine = @engine,
                      status = @status, metrics_json = @metricsJson, updated_at = @now
    WHERE id = @id RETURNING *`);

  return {
    createModel(model) {
      const name = validateName('model', model.name);
      try {
        const row = insert.get({
          name,
          specJson: JSON.stringify(model.spec),
          trainingJson: JSON.stringify(model.training ?? {}),
          corpusId: model.corpusId,
          engine: model.engine,
          status: model.status ?? 'training',
          metricsJson: model.metrics === undefined ? null : JSON.stringify(model.metrics),
          now: now(),
        }) as ModelDbRow;
        return toModel(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw new NameTakenError('model', name);
        throw err;
      }
    },
    updateModel(id, patch) {
      const current = byId.get(id);
      if (!current) throw new NotFoundError('model', id);
      const merged = toModel(current);
      const name = patch.name !== undefined ? validateName('model', patch.name) : merged.name;
      try {
        const row = update.get({
          id,
          name,
          specJson: JSON.stringify(patch.spec !== undefined ? patch.spec : merged.spec),
          trainingJson: JSON.stringify(patch.training !== undefined ? patch.training : merged.training),
          engine: patch.engine ?? merged.engine,
          status: patch.status ?? merged.status,
          metricsJson: patch.metrics !== undefined ? JSON.stringify(patch.metrics) : current.metrics_json,
          now: now(),
        }) as ModelDbRow;
        return toModel(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw new NameTakenError('model', name);
        throw err;
      }
    },
    listModels() {
      return list.all().map(toModel);
    },
    getModel(id) {
      const row = byId.get(id);
      return row ? toModel(row) : undefined;
    },
    getModelByName(name) {
      const row = byName.get(name.trim());
      return row ? toModel(row) : undefined;
    },
    deleteModel(id) {
      return remove.run(id).changes > 0;
    },
  };
}
