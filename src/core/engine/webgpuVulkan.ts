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
import { tmpdir } from 'node:os';

/** Chromium's SwiftShader Vulkan driver on Debian/Ubuntu (`apt-get install chromium libvulkan1`). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Adds SwiftShader to VK_ADD_DRIVER_FILES where that applies (see above); returns whether it is offered.
 *
 * Two more settings keep a probe of the GPU from printing driver noise into the user's terminal (and into the studio's
 * stderr), both only where the user set nothing: Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not
 * set" twice on a headless machine (they only look whether it is set), and Debian 12's lavapipe, a CPU driver Dawn
 * refuses ("shaderUniform*ArrayDynamicIndexing required"), is left out of the loader's list (VK_LOADER_DRIVERS_DISABLE)
 * when SwiftShader is offered instead: either is a software adapter that --engine auto passes over anyway.
 */
export function offerSoftwareVulkanDriver(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== 'linux') return false;
  env.XDG_RUNTIME_DIR ??= tmpdir();
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES) return false;
  if (!existsSync(SWIFTSHADER_ICD)) return false;
  if (!env.VK_LOADER_DRIVERS_DISABLE && !env.VK_LOADER_DRIVERS_SELECT) env.VK_LOADER_DRIVERS_DISABLE = '*lvp_icd*';
  const added = env.VK_ADD_DRIVER_FILES ?? '';
  if (!added.split(':').includes(SWIFTSHADER_ICD))
    env.VK_ADD_DRIVER_FILES = added ? `${added}:${SWIFTSHADER_ICD}` : SWIFTSHADER_ICD;
  return true;
}
