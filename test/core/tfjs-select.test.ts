// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { EngineUnavailableError, selectEngine } from '../../src/core/engine/select';

describe('engine selection', () => {
  it('auto picks the wasm engine when tfjs-node-gpu is not installed, with no fallback note (the normal case here)', async () => {
    // No WebGPU adapter either (test/core/engine.webgpu-select.test.ts covers the software adapter found here).
    const engine = await selectEngine({ engine: 'auto', threads: 1, webgpuAdapter: async () => undefined });
    expect(engine.info.name).toBe('wasm');
    expect(engine.info.fallbackReason).toBeUndefined();
    await engine.dispose();
  });

  it('auto falls back to wasm with ONE sentence when tfjs-node-gpu is installed but its CUDA libraries do not load', async () => {
    const engine = await selectEngine({
      engine: 'auto',
      threads: 1,
      webgpuAdapter: async () => undefined,
      loader: async () => {
        throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');
      },
    });
    expect(engine.info.name).toBe('wasm');
    const reason = engine.info.fallbackReason!;
    expect(reason).toMatch(
      /^tfjs-node-gpu is installed but cannot run \(its CUDA libraries did not load \(libcudart\.so\.11\.0.*\), so the wasm engine runs instead\.$/,
    );
    expect(reason.split('. ').length).toBe(1);
    await engine.dispose();
  });

  it('forcing an engine that cannot load is a typed error that says why and what to use', async () => {
    const err = await selectEngine({ engine: 'tfjs-node-gpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineUnavailableError);
    expect((err as EngineUnavailableError).code).toBe('ENGINE_UNAVAILABLE');
    expect((err as Error).message).toMatch(
      /^The tfjs-node-gpu engine cannot run here: .*not installed.*Use --engine auto or wasm\.$/,
    );
    const broken = await selectEngine({
      engine: 'tfjs-node',
      loader: async () => {
        throw new Error('The specified module could not be found. \\\\?\\C:\\etude\\tfjs_binding.node');
      },
    }).catch((e: unknown) => e);
    expect((broken as Error).message).toMatch(/native binding did not load/);
    // Loaded but registered no backend (e.g. a mismatched tfjs-core copy): also refused, not silently cpu.
    const silent = await selectEngine({ engine: 'tfjs-node', loader: async () => ({}) }).catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(EngineUnavailableError);
    const cpu = await selectEngine({ engine: 'tfjs-cpu' });
    expect(cpu.info.name).toBe('tfjs-cpu');
  });
});
