// SPDX-License-Identifier: MIT
// Engine selection and the webgpu engine: forced, auto on a software adapter (passed over, in one sentence), auto on a
// real GPU adapter (taken). Here the only adapter is Chromium's SwiftShader; a "real" adapter is simulated by the same
// device behind a GPU's adapter info.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINE_CHOICES, isEngineChoice, selectEngine } from '../../src/core/engine/select';
import { NO_ADAPTER_HELP, requestWebgpuAdapter } from '../../src/core/engine/webgpuEngine';
import type { Engine } from '../../src/core/engine/engine';
import { useSwiftShaderUnlessChosen } from './helpers/engineCompare';

useSwiftShaderUnlessChosen();

async function adapterOrFail(): Promise<GPUAdapter> {
  const adapter = await requestWebgpuAdapter();
  if (!adapter) throw new Error(`No WebGPU adapter, so engine selection cannot be tested: ${NO_ADAPTER_HELP}.`);
  return adapter;
}

const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.dispose();
});
const keep = (e: Engine) => (engines.push(e), e);

describe('webgpu engine selection', () => {
  it('webgpu is an --engine choice', () => {
    expect(ENGINE_CHOICES).toContain('webgpu');
    expect(isEngineChoice('webgpu')).toBe(true);
  });

  it('--engine webgpu runs on the adapter found and names it', async () => {
    const adapter = await adapterOrFail();
    const engine = keep(await selectEngine({ engine: 'webgpu' }));
    expect(engine.info.name).toBe('webgpu');
    expect(engine.info.gpu).toContain(adapter.info.description);
    expect(engine.info.description).toMatch(/^webgpu engine \(WGSL compute shaders through Dawn\) on /);
  });

  it('auto passes a software adapter over, naming it, in one sentence', async () => {
    const adapter = await adapterOrFail();
    const engine = keep(await selectEngine({ engine: 'auto', threads: 1 }));
    if (!/swiftshader|llvmpipe|lavapipe/i.test(`${adapter.info.architecture} ${adapter.info.description}`)) {
      // A machine with a real GPU: auto takes it.
      expect(engine.info.name).toBe('webgpu');
      return;
    }
    expect(engine.info.name).toBe('wasm');
    const reason = engine.info.fallbackReason!;
    expect(reason).toMatch(
      /^WebGPU offers only the software adapter google swiftshader \(SwiftShader driver [\d.]+, Vulkan\), which was passed over as slower than the CPU, so the wasm engine runs instead\.$/,
    );
    expect(reason.split('. ').length).toBe(1);
  });

  it('auto takes a real GPU adapter', async () => {
    const real = await adapterOrFail();
    const info = { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200', description: 'NVIDIA H200' };
    const gpuLike = {
      info,
      limits: real.limits,
      requestDevice: (d?: GPUDeviceDescriptor) => real.requestDevice(d),
    } as unknown as GPUAdapter;
    const engine = keep(await selectEngine({ engine: 'auto', webgpuAdapter: async () => gpuLike }));
    expect(engine.info.name).toBe('webgpu');
    expect(engine.info.gpu).toMatch(/^nvidia hopper \(NVIDIA H200, (Vulkan|Metal|D3D12)\)$/);
    expect(engine.info.fallbackReason).toBeUndefined();
  });
});

describe('etude train with the webgpu engine (the CLI as a child process, VK_ICD_FILENAMES unset)', () => {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const melody = path.resolve(repoRoot, '../shared/data/seed-melodies/waltzing-matilda.mid');
  const env: NodeJS.ProcessEnv = { ...process.env, ETUDE_DEBUG: '' };
  delete env.VK_ICD_FILENAMES;
  delete env.VK_ADD_DRIVER_FILES;
  const etude = (dataDir: string, args: string[]) =>
    spawnSync(process.execPath, [path.join(repoRoot, 'bin/etude.mjs'), '--data-dir', dataDir, ...args], {
      encoding: 'utf8',
      env,
      timeout: 300_000,
    });
  const tiny = [
    '--epochs',
    '1',
    '--hidden',
    '8',
    '--embedding',
    '8',
    '--layers',
    '2',
    '--window',
    '8',
    '--batch',
    '16',
  ];

  it('--engine webgpu trains end to end on the adapter found; --engine auto names the software adapter it passed over', async () => {
    await adapterOrFail();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'etude-webgpu-'));
    try {
      expect(etude(dataDir, ['import', melody, '--corpus', 'Tiny']).status).toBe(0);
      const forced = etude(dataDir, ['train', 'Tiny', '--model', 'gpu', '--engine', 'webgpu', ...tiny]);
      expect(forced.stderr).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
      expect(forced.status).toBe(0);
      expect(forced.stdout).toMatch(/Trained "gpu": 1 epochs, \d+ steps, loss \d+\.\d+/);
      expect(forced.stdout).toMatch(
        /Engine: webgpu engine \(WGSL compute shaders through Dawn\) on .+; threads 1; GPU: /,
      );
      const auto = etude(dataDir, ['train', 'Tiny', '--model', 'auto', '--engine', 'auto', ...tiny]);
      expect(auto.status).toBe(0);
      if (/swiftshader/i.test(forced.stdout))
        expect(auto.stdout).toMatch(
          /note: WebGPU offers only the software adapter google swiftshader \(SwiftShader driver [\d.]+, Vulkan\), which was passed over as slower than the CPU, so the wasm engine runs instead\./,
        );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
