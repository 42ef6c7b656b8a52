// SPDX-License-Identifier: MIT
/**
 * TensorFlow.js engines: `cpu` (pure JS, always present: the numerical reference, slow) and `tensorflow` (native
 * libtensorflow through @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, optional dependencies that are loaded
 * only when asked for, inside try/catch, because they are often absent or built for another CUDA/N-API).
 */
import * as tf from '@tensorflow/tfjs';
import type { EngineInfo } from './types';
import type { Engine } from './engine';
import { createBackendEngine } from './backendEngine';
import { createTfjsBackend } from './tfjsBackend';
import { detectGpuName, EngineUnavailableError } from './native';

import type { NativeLoader, TfjsNativePackage } from './native';

export type { NativeLoader, TfjsNativePackage };

const defaultLoader: NativeLoader = (pkg) => import(/* @vite-ignore */ pkg);

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(msg)) return 'it is not installed';
  if (/libcudart|libcudnn|cuda/i.test(msg))
    return `its CUDA libraries did not load (${msg.split('\n')[0].slice(0, 160)})`;
  if (/binding|\.node|NODE_MODULE_VERSION|napi/i.test(msg))
    return `its native binding did not load (${msg.split('\n')[0].slice(0, 160)})`;
  return msg.split('\n')[0].slice(0, 200);
}

/** Silences tfjs' one-time "install our node backend" console banner: the choice of engine is reported by us. */
function quietCpuBanner(): void {
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if (backend && 'firstUse' in backend) backend.firstUse = false;
}

export interface TfjsEngineOptions {
  /** For backend 'tensorflow': which package(s) to try, in order (default: GPU build first, then CPU build). */
  packages?: TfjsNativePackage[];
  loader?: NativeLoader;
}

/**
 * Creates a tfjs engine on the given backend and makes it tfjs' active backend.
 * @throws EngineUnavailableError when backend 'tensorflow' is asked for and no native package loads.
 */
export async function createTfjsEngine(
  backend: 'cpu' | 'tensorflow',
  options: TfjsEngineOptions = {},
): Promise<Engine> {
  let info: EngineInfo;
  if (backend === 'cpu') {
    await tf.setBackend('cpu');
    await tf.ready();
    quietCpuBanner();
    info = { name: 'tfjs-cpu', threads: 1, description: 'tfjs cpu engine (pure JavaScript reference, slow), 1 thread' };
  } else {
    const loader = options.loader ?? defaultLoader;
    const reasons: string[] = [];
    let loaded: TfjsNativePackage | undefined;
    for (const pkg of options.packages ?? ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await loader(pkg);
        loaded = pkg;
        break;
      } catch (err) {
        reasons.push(`${pkg} could not be used because ${shortReason(err)}`);
      }
    }
    if (!loaded || !(await tf.setBackend('tensorflow'))) {
      throw new EngineUnavailableError(
        reasons.join('; ') || 'the tfjs "tensorflow" backend did not register',
        'tfjs-node',
      );
    }
    await tf.ready();
    const gpu = loaded === '@tensorflow/tfjs-node-gpu' ? await detectGpuName() : undefined;
    info = {
      name: loaded === '@tensorflow/tfjs-node-gpu' ? 'tfjs-node-gpu' : 'tfjs-node',
      threads: 1,
      ...(gpu ? { gpu } : {}),
      description: gpu
        ? `tfjs-node-gpu engine (native TensorFlow on ${gpu})`
        : `${loaded.replace('@tensorflow/', '')} engine (native TensorFlow on the CPU)`,
    };
  }
  const active = tf.getBackend();
  const expected = backend;
  if (active !== expected)
    throw new EngineUnavailableError(`tfjs switched to the "${active}" backend instead of "${expected}".`, info.name);
  const engine = createBackendEngine(createTfjsBackend(info));
  return {
    ...engine,
    async createModel(spec, training, weights) {
      // Another engine in this process may have switched tfjs' backend since.
      if (tf.getBackend() !== expected) await tf.setBackend(expected);
      return engine.createModel(spec, training, weights);
    },
  };
}
