// SPDX-License-Identifier: MIT
/**
 * The model registry, keyed by spec.kind: the checkpoint codec, the engines, the training loop and the screens ask it
 * instead of switching on kinds. A new model kind adds its definition here and a member to ModelSpec (./spec.ts).
 */
import type { ModelDefinition } from './definition';
import { melodyLstmDefinition } from './melodyLstm';
import { biaxialLstmDefinition, biLstmDefinition } from './polyLstm';
import type { ModelSpec } from './spec';

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
