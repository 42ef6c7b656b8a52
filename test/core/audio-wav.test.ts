// SPDX-License-Identifier: MIT
// The WAV encoder (read back by sox, an independent reader) and the length arithmetic of an export.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav, WAV_HEADER_BYTES } from '../../src/core/audio/wav';
import { exportLengthSec, foldTail, RELEASE_TAIL_SEC, ticksToSec } from '../../src/core/audio/renderLength';

const workDir = mkdtempSync(path.join(tmpdir(), 'etude-wav-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('encodeWav', () => {
  it('writes a canonical 16-bit PCM header and interleaves the channels', () => {
    const left = Float32Array.from([0, 0.5, -0.5, 1]);
    const right = Float32Array.from([1, -1, 0.25, 0]);
    const bytes = encodeWav([left, right], 44_100);
    const view = new DataView(bytes.buffer);
    const ascii = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
    expect([ascii(0), ascii(8), ascii(12), ascii(36)]).toEqual(['RIFF', 'WAVE', 'fmt ', 'data']);
    expect(view.getUint32(4, true)).toBe(bytes.length - 8);
    expect(view.getUint16(20, true)).toBe(1); // PCM
    expect(view.getUint16(22, true)).toBe(2);
    expect(view.getUint32(24, true)).toBe(44_100);
    expect(view.getUint32(28, true)).toBe(44_100 * 4);
    expect(view.getUint16(32, true)).toBe(4);
    expect(view.getUint16(34, true)).toBe(16);
    expect(view.getUint32(40, true)).toBe(4 * 2 * 2);
    const samples = Array.from({ length: 8 }, (_, i) => view.getInt16(WAV_HEADER_BYTES + 2 * i, true));
    // L0 R0 L1 R1 ...: full scale is 32767 up and -32768 down.
    expect(samples).toEqual([0, 32767, 16384, -32768, -16384, 8192, 32767, 0]);
  });

  it('clips samples beyond [-1, 1] instead of wrapping them round', () => {
    const view = new DataView(encodeWav([Float32Array.from([2, -3])], 8000).buffer);
    expect([view.getInt16(44, true), view.getInt16(46, true)]).toEqual([32767, -32768]);
  });

  it('is read by sox with its rate, channels and length', () => {
    const frames = 22_050;
    const tone = Float32Array.from({ length: frames }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 44_100));
    const file = path.join(workDir, 'tone.wav');
    writeFileSync(file, encodeWav([tone, tone], 44_100));
    expect(execFileSync('soxi', ['-D', file], { encoding: 'utf8' }).trim()).toBe('0.500000');
    expect(execFileSync('soxi', ['-r', file], { encoding: 'utf8' }).trim()).toBe('44100');
    expect(execFileSync('soxi', ['-c', file], { encoding: 'utf8' }).trim()).toBe('2');
    expect(execFileSync('soxi', ['-b', file], { encoding: 'utf8' }).trim()).toBe('16');
  });

  it('refuses no channels, ragged channels and a bad sample rate, each in one sentence', () => {
    expect(() => encodeWav([], 44_100)).toThrow(/1 to 8 channels, got: 0/);
    expect(() => encodeWav([new Float32Array(2), new Float32Array(3)], 44_100)).toThrow(/same number of samples/);
    expect(() => encodeWav([new Float32Array(2)], 0)).toThrow(/sampleRate must be a positive integer, got: 0/);
  });
});

describe('export length', () => {
  it('is the bars at the tempo, plus the release tail unless a loop', () => {
    // 8 bars of 4/4 at 480 ppq, 100 bpm: 32 beats x 0.6 s.
    const endTick = 8 * 4 * 480;
    expect(ticksToSec(endTick, 480, 100)).toBeCloseTo(19.2, 12);
    expect(exportLengthSec(endTick, 480, 100, true)).toBeCloseTo(19.2, 12);
    expect(exportLengthSec(endTick, 480, 100, false)).toBeCloseTo(19.2 + RELEASE_TAIL_SEC, 12);
    expect(() => exportLengthSec(0, 480, 100, false)).toThrow(/must be positive, got: 0, 480, 100/);
  });

  it("folds a loop's tail onto its start, sample for sample", () => {
    const rendered = Float32Array.from([1, 2, 3, 4, 10, 20]);
    expect(Array.from(foldTail(rendered, 4))).toEqual([11, 22, 3, 4]);
    // A tail longer than the loop wraps round again.
    expect(Array.from(foldTail(Float32Array.from([1, 1, 1, 1, 1]), 2))).toEqual([3, 2]);
    expect(() => foldTail(rendered, 7)).toThrow(/shorter than the loop/);
  });
});
