// SPDX-License-Identifier: MIT
// The backend ops the polyphonic models added (swapMiddle and its backward) on every backend against the float64
// reference, in the manner of engine.backend.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/core/engine/backend';
import { createWasmBackend } from '../../src/core/engine/wasmBackend';
import { createTfjsBackend } from '../../src/core/engine/tfjsBackend';
import { instantiateKernels } from '../../src/core/engine/wasm/kernels';
import { loadEngineModule } from '../../src/core/engine/wasm/nodeLoader';
import { refSwapMiddle } from '../../src/core/engine/reference/layers';
import { createRng } from '../../src/core/util/random';

const rng = createRng(5);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

const backends: Record<string, () => Promise<Backend>> = {
  wasm: async () =>
    createWasmBackend(await instantiateKernels(loadEngineModule(false), false), {
      name: 'wasm',
      threads: 1,
      description: 'test',
    }),
  webgpu: async () => {
    const { requestWebgpuAdapter, describeAdapter, webgpuEngineInfo, NO_ADAPTER_HELP } =
      await import('../../src/core/engine/webgpuEngine');
    const { createWebgpuBackend } = await import('../../src/core/engine/webgpuBackend');
    const adapter = await requestWebgpuAdapter();
    if (!adapter) throw new Error(NO_ADAPTER_HELP);
    return createWebgpuBackend(await adapter.requestDevice(), webgpuEngineInfo(describeAdapter(adapter)));
  },
  'tfjs-cpu': async () => {
    const { createTfjsEngine } = await import('../../src/core/engine/tfjsEngine');
    await createTfjsEngine('cpu');
    return createTfjsBackend({ name: 'tfjs-cpu', threads: 1, description: 'test' });
  },
};

describe.each(Object.keys(backends))('backend %s: swapMiddle', (name) => {
  let be: Backend;
  beforeAll(async () => {
    be = await backends[name]();
  });

  it('swaps the middle axes exactly, and its backward accumulates the inverse swap', async () => {
    const dims = [2, 3, 5, 7] as const;
    const n = 2 * 3 * 5 * 7;
    const x = randn(n);
    const inp = be.tensor([6, 5, 7]);
    be.write(inp, x);
    const out = be.tensor([2 * 5 * 3, 7]);
    be.swapMiddle(out, inp, dims);
    const want = refSwapMiddle(x, dims);
    expect(Array.from(await be.read(out))).toEqual(Array.from(want, Math.fround));
    // element (a=1, b=2, c=3, d=4) of inp lands at (a=1, c=3, b=2, d=4) of out
    expect((await be.read(out))[((1 * 5 + 3) * 3 + 2) * 7 + 4]).toBe(x[((1 * 3 + 2) * 5 + 3) * 7 + 4]);

    const dout = randn(n);
    const dinp = be.tensor([6, 5, 7]);
    be.write(dinp, new Float32Array(n).fill(0.25));
    const doutT = be.tensor([n]);
    be.write(doutT, dout);
    be.swapMiddleBackward(dinp, doutT, dims);
    const back = refSwapMiddle(dout, [2, 5, 3, 7]);
    const got = await be.read(dinp);
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(back[i] + 0.25, 6);
  });

  it('refuses sizes that do not fit the dims, naming the op', () => {
    expect(() => be.swapMiddle(be.tensor([10]), be.tensor([12]), [1, 2, 2, 3])).toThrow(/swapMiddle/);
    expect(() => be.swapMiddleBackward(be.tensor([12]), be.tensor([10]), [1, 2, 2, 3])).toThrow(/swapMiddleBackward/);
  });
});
