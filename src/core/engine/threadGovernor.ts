// SPDX-License-Identifier: MIT
/**
 * Decides per training step how many threads the wasm engine uses: it times one step with all threads and one with a
 * single thread at the start and again every RECHECK_EVERY_STEPS steps, and uses whichever was faster (threads win
 * ties). Another process holding a core can make two threads far slower than one (measured 165 -> 900 ms/step).
 */
import type { EngineInfo } from './types';
import type { Kernels } from './wasm/kernels';

/** Steps between re-checks of whether threads still pay off. */
export const RECHECK_EVERY_STEPS = 50;

/** A monotonic clock in ms without Node imports (performance exists in Node, workers and pages). */
const nowMs = () => performance.now();

/** The wasm engine's one-sentence description for a thread count. */
export function describeWasm(threads: number): string {
  return `wasm engine (WebAssembly SIMD), ${threads} thread${threads === 1 ? '' : 's'}`;
}

/** Times training steps and sets the kernels' thread count (see the file comment); updates `info` as it decides. */
export class ThreadGovernor {
  private step = 0;
  private parallelMs = Infinity;
  private singleMs = Infinity;

  constructor(
    private readonly kernels: Kernels,
    private readonly info: EngineInfo,
    private readonly adaptive: boolean,
  ) {}

  /** Runs one timed step, choosing the thread count for it. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const max = this.kernels.maxThreads;
    if (max <= 1 || !this.adaptive) return work();
    const phase = this.step % RECHECK_EVERY_STEPS;
    this.step++;
    // phase 0 is a warm-up step (first step, or the first after a long run); 1 times threads; 2 times one thread.
    const trial = phase === 1 ? max : phase === 2 ? 1 : 0;
    if (trial) this.kernels.setThreads(trial);
    const start = nowMs();
    const result = await work();
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
    this.info.description = describeWasm(this.info.threads);
  }
}
