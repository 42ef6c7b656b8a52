// SPDX-License-Identifier: MIT
/**
 * The peer of eval:poly --peer: ../shared/bench/torch_biaxial_baseline.py (PyTorch, Johnson's biaxial sizes) on the
 * same benchmark file for the same minutes, after our models in the same invocation; the load average before and
 * after it is printed, as ours is with each of our models.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import { sharedRoot } from './polyEval';

export interface PeerResult {
  test_nll?: number;
  epochs?: number;
  minutes?: number;
  ms_per_train_frame?: number;
  params?: number;
  /** Per validation: the epoch reached and the valid NLL then. */
  history?: { epoch: number; train_nll: number; valid_nll: number }[];
}

/** How the peer runs: as our models (--threads), validated and paced as ours (--valid-max-frames, --epoch-frames). */
export interface PeerOptions {
  threads: number;
  /** 0: the whole valid split. */
  validMaxFrames: number;
  epochFrames?: string;
}

/** The peer's result, or a sentence saying why there is none (it failed, or printed no JSON). */
export function runPeer(file: string, minutes: number, options: PeerOptions): PeerResult | string {
  const script = path.join(sharedRoot, 'bench/torch_biaxial_baseline.py');
  const args = [
    script,
    '--data',
    file,
    '--model',
    'biaxial',
    '--threads',
    String(options.threads),
    '--minutes',
    String(minutes),
  ];
  if (options.validMaxFrames > 0) args.push('--valid-max-frames', String(options.validMaxFrames));
  if (options.epochFrames) args.push('--epoch-frames', options.epochFrames);
  console.log(`\npeer: /usr/bin/python3 ${args.join(' ')} (load average before: ${loadavg()[0].toFixed(1)})`);
  const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', timeout: (minutes * 60 + 1800) * 1000 });
  console.log(
    `  peer done (load average after: ${loadavg()[0].toFixed(1)}; the peer's own ${options.threads} thread${options.threads === 1 ? '' : 's'} count)`,
  );
  if (run.status !== 0)
    return `the peer failed (exit ${run.status}): ${(run.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`;
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    const result = JSON.parse(line) as PeerResult;
    // The peer's learning curve, for reading beside ours epoch by epoch.
    for (const h of result.history ?? [])
      console.log(
        `  peer epoch ${h.epoch}: train ${h.train_nll.toFixed(3)}  valid ${h.valid_nll.toFixed(3)} nats/frame`,
      );
    return result;
  } catch {
    return `the peer printed no JSON result: ${line.slice(0, 200)}`;
  }
}
