// SPDX-License-Identifier: MIT
/**
 * What a model kind provides to the rest of Etude (registered in ./registry.ts): its spec's validation and default,
 * its named tensors, its initial weights, how to cut pieces into training batches, and its network wired from the
 * backend's layers (../engine/backend.ts). Nothing here knows an engine.
 */
import type { Backend, ParameterSet, Tensor } from '../engine/backend';
import type { Batch, Decoder, NamedWeights } from '../engine/types';
import type { ModelSpec, TensorShape } from './spec';
import type { TokenPiece, WindowSet } from './windows';

/**
 * One model over one backend's tensors. The generic TrainableModel (./backendModel.ts) drives it: forward, backward,
 * then clip and Adam over its ParameterSet.
 */
export interface Network {
  /**
   * The forward pass over a batch; resolves nothing, the mean loss (nats) lands in the returned (1) tensor. With
   * `dropout` (a [0,1) source) dropout is applied as in training; without it, not at all.
   * @throws ModelInputError when the batch does not fit the spec (wrong kind, window or out-of-range values).
   */
  forward(batch: Batch, dropout?: () => number): Tensor;
  /** Gradients of the last forward pass (same batch, same dropout) into the parameter set's grads (overwritten). */
  backward(): void;
  /** The parameters changed (an optimizer step or new weights): anything derived from them is stale. */
  parametersChanged(): void;
  /** A stateful batch-1 decoder over the current parameters. */
  createDecoder(): Decoder;
  /** Gives back every tensor the network allocated (not the parameter set, which its owner releases). */
  release(): void;
}

/** A model kind: the registry entry keyed by spec.kind. */
export interface ModelDefinition<S extends { kind: string; encoding: string } = ModelSpec> {
  readonly kind: S['kind'];
  /** A human label for screens and the CLI. */
  readonly label: string;
  /** The spec a new model of this kind starts from. */
  readonly defaultSpec: S;
  /** Why `spec` (already known to have this kind) is invalid, in one sentence; undefined when it is valid. */
  specProblem(spec: Record<string, unknown>): string | undefined;
  /** Named tensors in the order of the flat parameter buffer; shapes row-major. */
  tensors(spec: S): TensorShape[];
  /** Initial weights for a random seed (the same on every engine). */
  initWeights(spec: S, randomSeed: number): NamedWeights;
  /** The training batches of a list of encoded pieces (with transposition as augmentation). */
  buildBatches(spec: S, pieces: TokenPiece[], transpositions?: number[]): WindowSet;
  /** Wires the network from the backend's layers over `parameters` (made from tensors(spec)). */
  createNetwork(backend: Backend, spec: S, parameters: ParameterSet): Network;
}
