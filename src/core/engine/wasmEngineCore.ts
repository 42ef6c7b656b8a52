// SPDX-License-Identifier: MIT
/**
 * The wasm engine over already-instantiated kernels: the TrainableModel and Decoder for 'melody-lstm'. No Node
 * imports: a browser page builds Kernels from engine-single.wasm and calls createWasmEngineFromKernels; Node
 * callers use createWasmEngine (./wasmEngine.ts), which adds file loading and worker threads.
 */
import {
  ADAM,
  type Batch,
  type Decoder,
  type Engine,
  type EngineInfo,
  type NamedWeights,
  type OptimizerState,
  type TrainableModel,
} from './types';
import type { ModelSpec, TrainingConfig } from '../model/spec';
import { initWeights } from '../model/init';
import { MelodyLstmDecoder, MelodyLstmNet } from '../model/melodyLstm';
import { adamStep, clipByGlobalNorm } from './layers';
import { createRng, type Rng } from '../util/random';
import type { Kernels } from './wasm/kernels';

/** Thrown for a model spec this engine cannot build. */
export class UnsupportedModelError extends Error {
  override name = 'UnsupportedModelError';
  readonly code = 'MODEL_KIND_UNSUPPORTED';
}

/** Steps between re-checks of whether threads still pay off. */
const RECHECK_EVERY_STEPS = 50;

/** A monotonic clock in ms without Node imports (performance exists in Node, workers and pages). */
const nowMs = () => performance.now();

/**
 * Decides per training step how many threads to use: time one step with all threads and one with a single thread
 * at the start and again every RECHECK_EVERY_STEPS steps; use whichever was faster (threads win ties). Another
 * process holding a core can make two threads far slower than one (measured 165 -> 900 ms/step).
 */
class ThreadGovernor {
  private readonly kernels: Kernels;
  private readonly info: EngineInfo;
  private step = 0;
  private parallelMs = Infinity;
  private singleMs = Infinity;

  private readonly adaptive: boolean;

  constructor(kernels: Kernels, info: EngineInfo, adaptive: boolean) {
    this.kernels = kernels;
    this.info = info;
    this.adaptive = adaptive;
  }

  /** Runs one timed step, choosing the thread count for it. */
  run<T>(work: () => T): T {
    const max = this.kernels.maxThreads;
    if (max <= 1 || !this.adaptive) return work();
    const phase = this.step % RECHECK_EVERY_STEPS;
    this.step++;
    // phase 0 is a warm-up step (first step, or the first after a long run); 1 times threads; 2 times one thread.
    const trial = phase === 1 ? max : phase === 2 ? 1 : 0;
    if (trial) this.kernels.setThreads(trial);
    const start = nowMs();
    const result = work();
    const ms = nowMs() - start;
    if (trial === max) this.parallelMs = ms;
    if (trial === 1) {
      this.singleMs = ms;
      this.decide();
    } else if (!trial) {
      this.kernels.setThreads(this.info.threads);
    }
    return result;
  }

  private decide(): void {
    const max = this.kernels.maxThreads;
    if (this.parallelMs <= this.singleMs * 1.05) {
      this.kernels.setThreads(max);
      this.info.threads = max;
      this.info.fallbackReason = undefined;
    } else {
      this.kernels.setThreads(1);
      this.info.threads = 1;
      this.info.fallbackReason = `${max} threads took ${this.parallelMs.toFixed(0)} ms per step against ${this.singleMs.toFixed(0)} ms on one (cores busy elsewhere); running on 1 thread and re-checking every ${RECHECK_EVERY_STEPS} steps.`;
    }
    this.info.description = describe(this.info.threads);
  }
}

function describe(threads: number): string {
  return `wasm engine (WebAssembly SIMD), ${threads} thread${threads === 1 ? '' : 's'}`;
}

class WasmMelodyModel implements TrainableModel {
  readonly spec: ModelSpec;
  readonly engine: EngineInfo;
  private readonly net: MelodyLstmNet;
  private readonly learningRate: number;
  private readonly clipNorm: number;
  private readonly dropoutRng: Rng;
  private readonly governor: ThreadGovernor;
  private adamSteps = 0;
  private disposed = false;

  constructor(
    kernels: Kernels,
    info: EngineInfo,
    governor: ThreadGovernor,
    spec: ModelSpec,
    training: Pick<TrainingConfig, 'learningRate' | 'clipNorm' | 'randomSeed'>,
    weights: NamedWeights,
  ) {
    this.spec = spec;
    this.engine = info;
    this.governor = governor;
    this.net = new MelodyLstmNet(kernels, spec);
    this.learningRate = training.learningRate;
    this.clipNorm = training.clipNorm;
    // Dropout draws from its own stream so that it never shifts the weight initialisation's.
    this.dropoutRng = createRng(training.randomSeed ^ 0x5bd1e995);
    this.net.writeNamed(this.net.params, weights, 'Initial weights:');
  }

  private check(): void {
    if (this.disposed) throw new Error('This wasm model was disposed; create a new one.');
  }

  async trainStep(batch: Batch): Promise<number> {
    this.check();
    return this.governor.run(() => {
      const uniform = () => this.dropoutRng.next();
      const loss = this.net.forward(batch.inputs, batch.targets, batch.batchSize, uniform);
      this.net.backward(batch.batchSize, true);
      clipByGlobalNorm(this.net.k, this.net.grads, this.clipNorm);
      this.adamSteps++;
      adamStep(this.net.k, this.net.params, this.net.grads, this.net.adamM, this.net.adamV, this.adamSteps, {
        learningRate: this.learningRate,
        ...ADAM,
      });
      this.net.weightsVersion++;
      return loss;
    });
  }

  async computeGradients(batch: Batch): Promise<{ loss: number; grads: NamedWeights }> {
    this.check();
    const uniform = () => this.dropoutRng.next();
    const loss = this.net.forward(batch.inputs, batch.targets, batch.batchSize, uniform);
    this.net.backward(batch.batchSize, true);
    return { loss, grads: this.net.readNamed(this.net.grads) };
  }

  async evaluate(batch: Batch): Promise<number> {
    this.check();
    return this.net.forward(batch.inputs, batch.targets, batch.batchSize);
  }

  getWeights(): NamedWeights {
    this.check();
    return this.net.readNamed(this.net.params);
  }

  setWeights(w: NamedWeights): void {
    this.check();
    this.net.writeNamed(this.net.params, w, 'setWeights:');
  }

  getOptimizerState(): OptimizerState {
    this.check();
    return { step: this.adamSteps, m: this.net.readNamed(this.net.adamM), v: this.net.readNamed(this.net.adamV) };
  }

  setOptimizerState(s: OptimizerState): void {
    this.check();
    this.net.writeNamed(this.net.adamM, s.m, 'Optimizer state m:');
    this.net.writeNamed(this.net.adamV, s.v, 'Optimizer state v:');
    this.adamSteps = s.step;
  }

  createDecoder(): Decoder {
    this.check();
    const decoder = new MelodyLstmDecoder(this.net);
    decoder.reset();
    return { reset: () => decoder.reset(), step: (token) => decoder.step(token), dispose: () => decoder.dispose() };
  }

  dispose(): void {
    // The engine owns the memory; the model's buffers go back to it for the next model.
    if (!this.disposed) this.net.release();
    this.disposed = true;
  }
}

/** Builds the Engine over kernels (with or without a pool); `dispose` ends the pool's threads. */
export function createWasmEngineFromKernels(kernels: Kernels, opts: { adaptiveThreads?: boolean } = {}): Engine {
  const info: EngineInfo = { name: 'wasm', threads: kernels.maxThreads, description: describe(kernels.maxThreads) };
  const governor = new ThreadGovernor(kernels, info, opts.adaptiveThreads ?? true);
  return {
    info,
    async createModel(spec, training, weights) {
      if (spec.kind !== 'melody-lstm')
        throw new UnsupportedModelError(
          `The wasm engine builds 'melody-lstm' models; got '${String((spec as { kind: unknown }).kind)}'.`,
        );
      return new WasmMelodyModel(
        kernels,
        info,
        governor,
        spec,
        training,
        weights ?? initWeights(spec, training.randomSeed),
      );
    },
    async dispose() {
      kernels.dispose();
      info.threads = 1;
    },
  };
}
