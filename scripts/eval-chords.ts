// SPDX-License-Identifier: MIT
/**
 * Prints the chord-steering figures (scripts/chordSteering.ts) at fuller sizes than the test:
 *   node --import tsx scripts/eval-chords.ts [--train 300] [--held 60] [--melody-steps 1500] [--poly-steps 300] [--seeds 20]
 *     [--bi-lstm] (the polyphonic model is a bi-lstm instead of a biaxial-lstm)
 */
import { createWasmEngine } from '../src/core/engine/wasmEngine';
import { runChordExperiment } from './chordSteering';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const engine = await createWasmEngine({ threads: arg('threads', 2) });
  const t0 = Date.now();
  await runChordExperiment(engine, {
    trainTunes: arg('train', 300),
    heldOutTunes: arg('held', 60),
    melodySteps: arg('melody-steps', 1500),
    polySteps: arg('poly-steps', 300),
    seeds: arg('seeds', 20),
    bars: arg('bars', 8),
    randomSeed: arg('seed', 7),
    ...(process.argv.includes('--bi-lstm') ? { polyKind: 'bi-lstm' as const } : {}),
    log: (line) => console.log(line),
  });
  console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  await engine.dispose();
}

void main();
