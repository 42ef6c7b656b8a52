// SPDX-License-Identifier: MIT
/**
 * An Engine over any Backend: createModel asks the model registry for spec.kind and builds the one TrainableModel
 * (../model/backendModel.ts) over the backend's layers. Every engine (wasm, tfjs) is this plus its backend.
 */
import type { Backend } from './backend';
import type { Engine } from './engine';
import { BackendModel } from '../model/backendModel';
import { getModelDefinition, UnknownModelKindError } from '../model/registry';

/** Thrown for a model spec an engine cannot build (an unknown kind: a spec from a newer Etude). */
export class UnsupportedModelError extends Error {
  override name = 'UnsupportedModelError';
  readonly code = 'MODEL_KIND_UNSUPPORTED';
}

/**
 * Wraps a backend as an Engine. `dispose` disposes the backend.
 * createModel throws UnsupportedModelError for an unknown kind and ModelInputError for weights that do not fit.
 */
export function createBackendEngine(backend: Backend): Engine {
  return {
    info: backend.info,
    async createModel(spec, training, weights) {
      let definition;
      try {
        definition = getModelDefinition(spec.kind);
      } catch (error) {
        if (error instanceof UnknownModelKindError) throw new UnsupportedModelError(error.message);
        throw error;
      }
      const problem = definition.specProblem(spec as unknown as Record<string, unknown>);
      if (problem) throw new UnsupportedModelError(`The ${spec.kind} spec is invalid: ${problem}.`);
      return new BackendModel(
        backend,
        definition,
        spec,
        training,
        weights ?? definition.initWeights(spec, training.randomSeed),
      );
    },
    dispose: () => backend.dispose(),
  };
}
