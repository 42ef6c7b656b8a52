// SPDX-License-Identifier: MIT
/** The generations service: the history of variations and the composer's favourites, in contract shape. */
import type { GenerationDto } from '../../shared/dto';
import { NotFoundError } from '../db/errors';
import type { Library } from '../db/open';
import type { GenerationId, ModelId } from '../db/types';
import { DEFAULT_MODEL_ID, generationDto } from './dto';

function parseId(entity: string, id: string): number {
  if (!/^\d+$/.test(id)) throw new NotFoundError(entity, id);
  return Number(id);
}

function toDto(library: Library, g: Parameters<typeof generationDto>[0]): GenerationDto {
  const model = g.modelId === null ? undefined : library.models.getModel(g.modelId);
  return generationDto(g, { modelName: model?.name ?? null });
}

/** Newest first; `modelId` 'default' or absent lists every model's. @throws NotFoundError (a malformed model id) */
export function listGenerations(
  library: Library,
  request: { modelId?: string; favouritesOnly?: boolean; limit?: number },
): GenerationDto[] {
  const modelId =
    request.modelId === undefined || request.modelId === DEFAULT_MODEL_ID
      ? undefined
      : (parseId('model', request.modelId) as ModelId);
  // Each model's name looked up once per list, not once per generation (1,000 rows of one model: 1 query, not 1,000).
  const names = new Map<ModelId, string | null>();
  return library.generations
    .listGenerations({ modelId, favouritesOnly: request.favouritesOnly, limit: request.limit })
    .map((g) => {
      if (g.modelId !== null && !names.has(g.modelId))
        names.set(g.modelId, library.models.getModel(g.modelId)?.name ?? null);
      return generationDto(g, { modelName: g.modelId === null ? null : (names.get(g.modelId) ?? null) });
    });
}

/** Stored generations by id, in the order asked. @throws NotFoundError (an id that is not a stored generation) */
export function getGenerations(library: Library, generationIds: readonly string[]): GenerationDto[] {
  return generationIds.map((raw) => {
    const g = library.generations.getGeneration(parseId('generation', raw) as GenerationId);
    if (!g) throw new NotFoundError('generation', raw);
    return toDto(library, g);
  });
}

/** Names a variation and marks (or unmarks) it as a favourite. @throws NotFoundError */
export function saveFavourite(library: Library, generationId: string, name: string, favourite: boolean): GenerationDto {
  const id = parseId('generation', generationId) as GenerationId;
  if (!library.generations.getGeneration(id)) throw new NotFoundError('generation', id);
  library.generations.renameGeneration(id, name);
  return toDto(library, library.generations.setFavourite(id, favourite));
}
