// SPDX-License-Identifier: MIT
/// <reference types="@webgpu/types" />
/**
 * Node entry of the WebGPU engine: finds an adapter through Dawn (the `webgpu` package ships dawn.node for Windows
 * (D3D12), macOS (Metal) and Linux (Vulkan)), describes it, and wraps ./webgpuBackend.ts as an Engine.
 *
 * Linux without a GPU: Dawn needs a Vulkan driver. Debian's chromium package ships SwiftShader's, which works here
 * (Debian 12's lavapipe is too old for Dawn); it is added to the Vulkan driver list, so `--engine webgpu` runs on
 * the software adapter (slowly: for tests, not for training). Auto-selection passes software adapters over
 * (./select.ts).
 */
import type { EngineInfo } from './types';
import type { Engine } from './engine';
import { createBackendEngine } from './backendEngine';
import { createWebgpuBackend, type WebgpuBackendOptions } from './webgpuBackend';
import { EngineUnavailableError } from './native';
import { offerSoftwareVulkanDriver, SWIFTSHADER_ICD } from './webgpuVulkan';

export { SWIFTSHADER_ICD } from './webgpuVulkan';

/** What to do when no WebGPU adapter exists here: one instruction for the user. */
export const NO_ADAPTER_HELP =
  process.platform === 'linux'
    ? `install a Vulkan driver for your GPU, or for the software adapter run \`apt-get install chromium libvulkan1\` and set VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`
    : 'update the graphics driver (WebGPU needs Metal on macOS, D3D12 on Windows)';

/** The adapter Dawn found, described for the user. */
export interface WebgpuAdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** The native API under Dawn on this OS. */
  api: 'Vulkan' | 'Metal' | 'D3D12';
  /** A CPU rasteriser (SwiftShader, llvmpipe, lavapipe, WARP) rather than a GPU. */
  software: boolean;
  /** "google swiftshader (SwiftShader driver 5.0.0, Vulkan)" */
  label: string;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** Describes an adapter; `software` from isFallbackAdapter or the names of the known CPU rasterisers. */
export function describeAdapter(adapter: GPUAdapter): WebgpuAdapterDescription {
  const i = adapter.info;
  const api = process.platform === 'darwin' ? 'Metal' : process.platform === 'win32' ? 'D3D12' : 'Vulkan';
  const fallback = Boolean(
    (i as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  const names = [i.vendor, i.architecture, i.device, i.description].filter(Boolean);
  const software = fallback || SOFTWARE.test(names.join(' '));
  const name = [i.vendor, i.architecture].filter(Boolean).join(' ') || i.device || 'unknown adapter';
  const detail = [i.description, api].filter(Boolean).join(', ');
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    api,
    software,
    label: `${name} (${detail})`,
  };
}

let gpuInstance: GPU | undefined;

/** Loads Dawn once (offering SwiftShader first on Linux: ./webgpuVulkan.ts). */
async function loadGpu(): Promise<GPU> {
  if (gpuInstance) return gpuInstance;
  offerSoftwareVulkanDriver();
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch (error) {
    throw new EngineUnavailableError(
      `The webgpu engine cannot run here: Dawn did not load (${error instanceof Error ? error.message.split('\n')[0] : String(error)}).`,
      'webgpu',
    );
  }
  Object.assign(globalThis, mod.globals);
  gpuInstance = mod.create([]);
  return gpuInstance;
}

/** The best adapter WebGPU offers here (high-performance preference), or undefined when there is none. */
export async function requestWebgpuAdapter(): Promise<GPUAdapter | undefined> {
  const gpu = await loadGpu();
  return (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? undefined;
}

/** The EngineInfo of the webgpu engine on an adapter. */
export function webgpuEngineInfo(adapter: WebgpuAdapterDescription): EngineInfo {
  return {
    name: 'webgpu',
    threads: 1,
    gpu: adapter.label,
    description: `webgpu engine (WGSL compute shaders through Dawn) on ${adapter.label}${adapter.software ? ', a software adapter: slow' : ''}`,
  };
}

/**
 * Creates the webgpu engine on `adapter` (default: the best one found). Call `dispose()` when done.
 * @throws EngineUnavailableError (ENGINE_UNAVAILABLE) when no adapter or device can be had, saying what to install.
 */
export async function createWebgpuEngine(adapter?: GPUAdapter, options?: WebgpuBackendOptions): Promise<Engine> {
  const found = adapter ?? (await requestWebgpuAdapter());
  if (!found)
    throw new EngineUnavailableError(
      `The webgpu engine cannot run here: WebGPU found no adapter; ${NO_ADAPTER_HELP}.`,
      'webgpu',
    );
  const described = describeAdapter(found);
  const limits = found.limits;
  let device: GPUDevice;
  try {
    device = await found.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxStorageBuffersPerShaderStage: Math.min(8, limits.maxStorageBuffersPerShaderStage),
      },
    });
  } catch (error) {
    throw new EngineUnavailableError(
      `The webgpu engine cannot run here: the adapter ${described.label} gave no device (${error instanceof Error ? error.message.split('\n')[0] : String(error)}).`,
      'webgpu',
    );
  }
  return createBackendEngine(createWebgpuBackend(device, webgpuEngineInfo(described), options));
}
