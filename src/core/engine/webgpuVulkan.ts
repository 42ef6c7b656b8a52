// SPDX-License-Identifier: MIT
/**
 * Linux only: offers Chromium's SwiftShader Vulkan driver to Dawn as one more driver, so that WebGPU has an adapter
 * on a machine without a GPU (Debian 12's own lavapipe is too old for Dawn). The Vulkan loader reads its driver list
 * from the real process environment when Dawn starts, so this must run in the main thread before any thread loads
 * Dawn (a worker thread's process.env is a copy that native code never sees): ./select.ts calls it when imported.
 * VK_ADD_DRIVER_FILES adds to the drivers found; it never hides a GPU, which a high-performance request picks before
 * a CPU adapter. Nothing is changed when the user chose drivers (VK_ICD_FILENAMES / VK_DRIVER_FILES).
 */
import { existsSync } from 'node:fs';

/** Chromium's SwiftShader Vulkan driver on Debian/Ubuntu (`apt-get install chromium libvulkan1`). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Adds SwiftShader to VK_ADD_DRIVER_FILES where that applies (see above); returns whether it is offered. */
export function offerSoftwareVulkanDriver(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== 'linux' || env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES) return false;
  if (!existsSync(SWIFTSHADER_ICD)) return false;
  const added = env.VK_ADD_DRIVER_FILES ?? '';
  if (!added.split(':').includes(SWIFTSHADER_ICD))
    env.VK_ADD_DRIVER_FILES = added ? `${added}:${SWIFTSHADER_ICD}` : SWIFTSHADER_ICD;
  return true;
}
