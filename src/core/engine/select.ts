// SPDX-License-Identifier: MIT
/**
 * Engine selection, the one place that decides which engine runs a job (Node side: it may load native packages).
 *
 * auto: tfjs-node-gpu when it loads AND a GPU is visible; otherwise our wasm engine (fast on every OS, no native
 * build). When tfjs-node-gpu is installed but cannot be used, engine.info.fallbackReason is ONE sentence saying why
 * and which engine runs instead. Forcing an engine that cannot load throws EngineUnavailableError with that sentence.
 */
import type { Engine, EngineName } from './types';
import { detectGpuName, EngineUnavailableError, type NativeLoader } from './native';

export { detectGpuName, EngineUnavailableError, type NativeLoader, type TfjsNativePackage } from './native';

export type EngineChoice = 'auto' | EngineName;

export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'wasm', 'tfjs-cpu', 'tfjs-node', 'tfjs-node-gpu'];

export interface SelectEngineOptions {
  engine?: EngineChoice;
  /** Threads for the wasm engine: a number or 'auto' (min(2, cores)). */
  threads?: number | 'auto';
  /** Seam for tests: how native tfjs packages are imported. */
  loader?: NativeLoader;
  /** Seam for tests: whether a GPU is visible (default: the NVIDIA driver's /proc entry). */
  gpuName?: () => Promise<string | undefined>;
}

/** tfjs (~1.5 s to load) is imported only when a tfjs engine is asked for or probed. */
async function createTfjsEngine(...args: Parameters<typeof import('./tfjsEngine').createTfjsEngine>): Promise<Engine> {
  const { createTfjsEngine: create } = await import('./tfjsEngine');
  return create(...args);
}

/** Is `name` a valid --engine value? */
export function isEngineChoice(name: string): name is EngineChoice {
  return (ENGINE_CHOICES as readonly string[]).includes(name);
}

async function wasm(threads: number | 'auto' | undefined): Promise<Engine> {
  const { createWasmEngine } = await import('./wasmEngine');
  return createWasmEngine({ threads: threads ?? 'auto' });
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].replace(/\.$/, '');
}

/**
 * Creates the engine for a job.
 * @throws EngineUnavailableError (code ENGINE_UNAVAILABLE) when a forced engine cannot load.
 */
export async function selectEngine(options: SelectEngineOptions = {}): Promise<Engine> {
  const choice = options.engine ?? 'auto';
  const loader = options.loader;
  switch (choice) {
    case 'wasm':
      return wasm(options.threads);
    case 'tfjs-cpu':
      return createTfjsEngine('cpu');
    case 'tfjs-node':
    case 'tfjs-node-gpu': {
      const pkg = choice === 'tfjs-node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      try {
        return await createTfjsEngine('tensorflow', { packages: [pkg], ...(loader ? { loader } : {}) });
      } catch (err) {
        throw new EngineUnavailableError(
          `The ${choice} engine cannot run here: ${firstLine(err)}. Use --engine auto or wasm.`,
          choice,
        );
      }
    }
    case 'auto': {
      let fallbackReason: string | undefined;
      try {
        const engine = await createTfjsEngine('tensorflow', {
          packages: ['@tensorflow/tfjs-node-gpu'],
          ...(loader ? { loader } : {}),
        });
        const gpu = await (options.gpuName ?? detectGpuName)();
        if (gpu) return engine;
        fallbackReason = 'tfjs-node-gpu loaded but sees no GPU, so the wasm engine runs instead.';
        await engine.dispose();
      } catch (err) {
        const reason = firstLine(err);
        // Not installed at all is the normal case, not worth a warning.
        if (!/is not installed/.test(reason))
          fallbackReason = `tfjs-node-gpu is installed but cannot run (${reason.replace(/^@tensorflow\/tfjs-node-gpu could not be used because /, '')}), so the wasm engine runs instead.`;
      }
      const engine = await wasm(options.threads);
      if (fallbackReason) engine.info.fallbackReason = fallbackReason;
      return engine;
    }
    default:
      throw new EngineUnavailableError(
        `Unknown engine "${String(choice)}"; choose one of ${ENGINE_CHOICES.join(', ')}.`,
        String(choice),
      );
  }
}
