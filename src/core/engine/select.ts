// SPDX-License-Identifier: MIT
/**
 * Engine selection, the one place that decides which engine runs a job (Node side: it may load native packages).
 *
 * auto, in order of preference:
 * 1. webgpu on a real GPU adapter (Dawn: Vulkan, Metal or D3D12); a software adapter (SwiftShader, llvmpipe, lavapipe,
 *    WARP) is passed over, because our CPU engine is far faster than a CPU rasteriser running compute shaders;
 * 2. tfjs-node-gpu when it loads AND a GPU is visible;
 * 3. our wasm engine (fast on every OS, no native build).
 * When a preferred engine exists but is not used, engine.info.fallbackReason is ONE sentence saying why and which
 * engine runs instead; nothing is said when there is simply no GPU adapter and no tfjs-node-gpu (the normal CPU-only
 * case). Forcing an engine that cannot load throws EngineUnavailableError with that sentence.
 */
import type { EngineName } from './types';
import type { Engine } from './engine';
import { detectGpuName, EngineUnavailableError, type NativeLoader } from './native';
import { offerSoftwareVulkanDriver } from './webgpuVulkan';

export { detectGpuName, EngineUnavailableError, type NativeLoader, type TfjsNativePackage } from './native';

// In the main thread, before any worker loads Dawn (see ./webgpuVulkan.ts).
offerSoftwareVulkanDriver();

export type EngineChoice = 'auto' | EngineName;

export const ENGINE_CHOICES: readonly EngineChoice[] = [
  'auto',
  'wasm',
  'webgpu',
  'tfjs-cpu',
  'tfjs-node',
  'tfjs-node-gpu',
];

export interface SelectEngineOptions {
  engine?: EngineChoice;
  /** Threads for the wasm engine: a number or 'auto' (min(2, cores)). */
  threads?: number | 'auto';
  /** Seam for tests: how native tfjs packages are imported. */
  loader?: NativeLoader;
  /** Seam for tests: whether a GPU is visible (default: the NVIDIA driver's /proc entry). */
  gpuName?: () => Promise<string | undefined>;
  /** Seam for tests: the WebGPU adapter auto-selection considers (default: the best one Dawn finds, or none). */
  webgpuAdapter?: () => Promise<WebgpuAdapterLike | undefined>;
}

/** What auto-selection needs of a WebGPU adapter: a GPUAdapter, or a stand-in with its info in tests. */
export type WebgpuAdapterLike = Parameters<typeof import('./webgpuEngine').describeAdapter>[0];

/** Dawn (~0.1 s to load) is imported only when the webgpu engine is asked for or probed. */
async function webgpuModule() {
  return import('./webgpuEngine');
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
    case 'webgpu': {
      const { createWebgpuEngine } = await webgpuModule();
      return createWebgpuEngine();
    }
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
      const reasons: string[] = [];
      try {
        const webgpu = await webgpuModule();
        const adapter = await (options.webgpuAdapter ?? webgpu.requestWebgpuAdapter)();
        if (adapter) {
          const described = webgpu.describeAdapter(adapter);
          if (!described.software) return await webgpu.createWebgpuEngine(adapter as GPUAdapter);
          reasons.push(
            `WebGPU offers only the software adapter ${described.label}, which was passed over as slower than the CPU`,
          );
        }
      } catch (err) {
        reasons.push(`WebGPU could not be used (${firstLine(err)})`);
      }
      try {
        const engine = await createTfjsEngine('tensorflow', {
          packages: ['@tensorflow/tfjs-node-gpu'],
          ...(loader ? { loader } : {}),
        });
        const gpu = await (options.gpuName ?? detectGpuName)();
        if (gpu) {
          if (reasons.length > 0) engine.info.fallbackReason = `${reasons.join('; ')}, so tfjs-node-gpu runs instead.`;
          return engine;
        }
        reasons.push('tfjs-node-gpu loaded but sees no GPU');
        await engine.dispose();
      } catch (err) {
        const reason = firstLine(err);
        // Not installed at all is the normal case, not worth a warning.
        if (!/is not installed/.test(reason))
          reasons.push(
            `tfjs-node-gpu is installed but cannot run (${reason.replace(/^@tensorflow\/tfjs-node-gpu could not be used because /, '')})`,
          );
      }
      const engine = await wasm(options.threads);
      if (reasons.length > 0) engine.info.fallbackReason = `${reasons.join('; ')}, so the wasm engine runs instead.`;
      return engine;
    }
    default:
      throw new EngineUnavailableError(
        `Unknown engine "${String(choice)}"; choose one of ${ENGINE_CHOICES.join(', ')}.`,
        String(choice),
      );
  }
}
