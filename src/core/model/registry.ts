// SPDX-License-Identifier: MIT
/**
 * The model registry, keyed by spec.kind: the checkpoint codec, the engines, the training loop and the screens ask it
 * instead of switching on kinds. A new model kind adds its definition here and a member to ModelSpec (./spec.ts).
 */
import type { ModelDefinition } from './definition';
import { melodyLstmDefinition } from './melodyLstm';
import { biaxialLstmDefinition, biLstmDefinition } from './polyLstm';
import type { TensorShape } from '../engine/backend';
import { MAX_TRAINED_PARAMETERS, trainingConfigProblem, type ModelSpec } from './spec';

const DEFINITIONS: ReadonlyMap<string, ModelDefinition> = new Map(
  [
    melodyLstmDefinition as ModelDefinition,
    biaxialLstmDefinition as unknown as ModelDefinition,
    biLstmDefinition as unknown as ModelDefinition,
  ].map((d) => [d.kind, d] as const),
);

/** Every model kind with its human label, default spec and parameter count, in registration order. */
export const MODEL_KINDS: readonly { kind: ModelSpec['kind']; label: string; defaultSpec: ModelSpec }[] = [
  ...DEFINITIONS.values(),
].map((d) => ({ kind: d.kind, label: d.label, defaultSpec: d.defaultSpec }));

/** A model kind this Etude does not know (a checkpoint or spec from a newer Etude, or a typo). */
export class UnknownModelKindError extends Error {
  override name = 'UnknownModelKindError';
  readonly code = 'MODEL_KIND_UNKNOWN';
  constructor(readonly kind: string) {
    super(
      `This Etude does not know the model kind "${kind}" (it knows ${[...DEFINITIONS.keys()].join(', ')}); it needs a newer Etude.`,
    );
  }
}

/**
 * The definition of model kind `kind`.
 * @throws UnknownModelKindError (code MODEL_KIND_UNKNOWN) for a kind that is not registered.
 */
export function getModelDefinition(kind: string): ModelDefinition {
  const found = DEFINITIONS.get(kind);
  if (!found) throw new UnknownModelKindError(kind);
  return found;
}

/** Is `kind` a registered model kind? */
export function isModelKind(kind: unknown): kind is ModelSpec['kind'] {
  return typeof kind === 'string' && DEFINITIONS.has(kind);
}

/**
 * Why `spec` is not a valid spec of a registered kind (one sentence), or undefined when it is one. Unknown kinds are
 * reported as such (check isModelKind first to tell them apart).
 */
export function modelSpecProblem(spec: unknown): string | undefined {
  if (!spec || typeof spec !== 'object') return 'the model spec is not an object';
  const s = spec as Record<string, unknown>;
  if (!isModelKind(s.kind)) return `the model kind ${JSON.stringify(s.kind)} is unknown to this Etude`;
  return getModelDefinition(s.kind).specProblem(s);
}

/** The named tensors of any spec, in the order of its flat parameter buffer. */
export function modelTensors(spec: ModelSpec): TensorShape[] {
  return getModelDefinition(spec.kind).tensors(spec);
}

/** Trainable parameters of any spec. */
export function parameterCount(spec: ModelSpec): number {
  return modelTensors(spec).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Why a model cannot be trained with `spec` and `training` (one sentence naming the setting and what is accepted), or
 * undefined. Checked before anything is allocated or stored: the spec's own rules (./registry.ts), the parameter
 * budget (MAX_TRAINED_PARAMETERS), then the training settings.
 */
export function trainingSettingsProblem(spec: unknown, training: unknown): string | undefined {
  const specProblem = modelSpecProblem(spec);
  if (specProblem) return `the model's settings are invalid: ${specProblem}`;
  const parameters = parameterCount(spec as ModelSpec);
  if (parameters > MAX_TRAINED_PARAMETERS)
    return `the model would have ${(parameters / 1e6).toFixed(0)} M parameters; at most ${MAX_TRAINED_PARAMETERS / 1e6} M can be trained (make it smaller: fewer layers, a smaller hidden or embedding size)`;
  if (!training || typeof training !== 'object' || Array.isArray(training))
    return 'the training settings are not an object';
  const trainingProblem = trainingConfigProblem(training as Record<string, unknown>);
  return trainingProblem ? `the training settings are invalid: ${trainingProblem}` : undefined;
}
