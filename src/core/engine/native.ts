// SPDX-License-Identifier: MIT
/**
 * What engine selection and the tfjs engine share about native TensorFlow: the packages, how they are loaded (a seam so
 * tests can simulate a broken install), how a GPU is detected, and the error when an engine cannot be had. Kept apart
 * so that neither module imports the other.
 */

/** An engine could not be created; `message` is one sentence for the user. */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
  readonly code = 'ENGINE_UNAVAILABLE';
  constructor(
    message: string,
    readonly engine: string,
  ) {
    super(message);
  }
}

export type TfjsNativePackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';

/** Loads a native tfjs package by name; a seam so tests can simulate a broken install. */
export type NativeLoader = (pkg: TfjsNativePackage) => Promise<unknown>;

/**
 * The first NVIDIA GPU's name when the driver exposes one (Linux /proc), else undefined. libtensorflow falls back to
 * the CPU silently when it sees no GPU, so this is how we avoid claiming a GPU that is not used.
 */
export async function detectGpuName(): Promise<string | undefined> {
  try {
    const fs = await import('node:fs');
    const dir = '/proc/driver/nvidia/gpus';
    const ids = fs.readdirSync(dir);
    if (ids.length === 0) return undefined;
    const text = fs.readFileSync(`${dir}/${ids[0]}/information`, 'utf8');
    return /Model:\s*(.+)/.exec(text)?.[1]?.trim() ?? 'NVIDIA GPU';
  } catch {
    return undefined;
  }
}
