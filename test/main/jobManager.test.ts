// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/core/jobs/progress';
import { JobManager } from '../../src/main/jobs/JobManager';

/** A job that ends when `release` is called. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { done, release };
}

describe('JobManager pruning', () => {
  it('keeps the newest N finished jobs and never grows job:list without bound', async () => {
    let clock = 1_000_000;
    const jobs = new JobManager({ keepFinished: 5, keepFinishedMs: 0, maxFinished: 5, now: () => clock });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      clock += 10;
      const id = jobs.start('generate', `job ${i}`, async () => i);
      ids.push(id);
      await jobs.wait(id);
      expect(jobs.list().length).toBeLessThanOrEqual(5);
    }
    expect(jobs.list().map((j) => j.id)).toEqual(ids.slice(-5));
    expect(jobs.get(ids[0])).toBeUndefined();
    expect(jobs.get(ids[39])?.result).toBe(39);
  });

  it('keeps recent finished jobs beyond N up to the cap, and drops them once they age out', async () => {
    let clock = 0;
    const jobs = new JobManager({ keepFinished: 2, keepFinishedMs: 60_000, maxFinished: 6, now: () => clock });
    for (let i = 0; i < 10; i++) {
      clock += 1000;
      await jobs.wait(jobs.start('import', `i${i}`, async () => i));
    }
    // All ten are within the minute, but the cap holds six.
    expect(jobs.list()).toHaveLength(6);
    clock += 120_000;
    await jobs.wait(jobs.start('import', 'late', async () => 'late'));
    // Now only the newest two survive (the late one and the one before it).
    expect(jobs.list().map((j) => j.result)).toEqual([9, 'late']);
  });

  it('never prunes a running job, and a cancelled one counts as finished', async () => {
    let clock = 0;
    const jobs = new JobManager({ keepFinished: 1, keepFinishedMs: 0, maxFinished: 1, now: () => clock });
    const g = gate();
    const running = jobs.start('train', 'long', async (ctx) => {
      await g.done;
      if (ctx.signal.aborted) throw new CancelledError();
      return 'trained';
    });
    for (let i = 0; i < 5; i++) {
      clock += 1;
      await jobs.wait(jobs.start('generate', `g${i}`, async () => i));
    }
    expect(jobs.get(running)?.status).toBe('running');
    expect(jobs.list().map((j) => j.status)).toEqual(['running', 'done']);
    jobs.cancel(running);
    g.release();
    const end = await jobs.wait(running);
    expect(end.status).toBe('cancelled');
    expect(jobs.list().map((j) => j.id)).toEqual([running]);
  });
});
