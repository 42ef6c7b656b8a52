// SPDX-License-Identifier: MIT
/**
 * Measures for "do these two renders sound like the same take": framewise spectra of a mono mixdown, compared as
 * - chroma: each frame's magnitude folded into the 12 pitch classes, Pearson correlation per frame, averaged over
 *   the frames where either render sounds: right notes at the right times; a transposed take scores low;
 * - log-magnitude spectrum: cosine of per-frame log(1 + |X|) over 30 Hz..8 kHz: the timbre too, so another
 *   instrument scores lower;
 * - energy envelope: Pearson correlation of per-frame level in dB: the onsets and decays line up.
 * Test-only code: a plain radix-2 FFT, nothing to install.
 */

export const FRAME = 4096;
export const HOP = 1024;

/** In-place iterative radix-2 FFT of (re, im), length a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * wr - im[b]! * wi;
        const ti = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
      }
    }
  }
}

/** Magnitude spectra (FRAME/2 bins) of Hann-windowed frames every HOP samples. */
export function spectrogram(mono: Float32Array): Float64Array[] {
  const window = Float64Array.from({ length: FRAME }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FRAME));
  const frames: Float64Array[] = [];
  for (let start = 0; start + FRAME <= mono.length; start += HOP) {
    const re = new Float64Array(FRAME);
    const im = new Float64Array(FRAME);
    for (let i = 0; i < FRAME; i++) re[i] = mono[start + i]! * window[i]!;
    fft(re, im);
    const mag = new Float64Array(FRAME / 2);
    for (let k = 0; k < FRAME / 2; k++) mag[k] = Math.hypot(re[k]!, im[k]!);
    frames.push(mag);
  }
  return frames;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const centre = (x: ArrayLike<number>) => {
    let m = 0;
    for (let i = 0; i < x.length; i++) m += x[i]!;
    m /= x.length;
    return Array.from(x, (v) => v - m);
  };
  return cosine(centre(a), centre(b));
}

function chroma(mag: Float64Array, sampleRate: number): Float64Array {
  const out = new Float64Array(12);
  for (let k = 1; k < mag.length; k++) {
    const hz = (k * sampleRate) / FRAME;
    if (hz < 50 || hz > 5000) continue;
    const pitchClass = ((Math.round(69 + 12 * Math.log2(hz / 440)) % 12) + 12) % 12;
    out[pitchClass] += mag[k]! * mag[k]!;
  }
  return out.map(Math.sqrt);
}

function levelDb(mag: Float64Array): number {
  let e = 0;
  for (const m of mag) e += m * m;
  return 10 * Math.log10(e + 1e-12);
}

export interface Similarity {
  chroma: number;
  logSpectrum: number;
  envelope: number;
  /** Frames compared (where either render is within 50 dB of its loudest frame). */
  frames: number;
}

/** Stereo (or mono) channels to one mono signal, each render scaled to peak 1 (the gains of the two synths differ). */
export function monoMix(channels: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(channels[0]!.length);
  for (const c of channels) for (let i = 0; i < out.length; i++) out[i]! += c[i]! / channels.length;
  let peak = 0;
  for (const s of out) peak = Math.max(peak, Math.abs(s));
  if (peak > 0) for (let i = 0; i < out.length; i++) out[i]! /= peak;
  return out;
}

/** The three measures between two mono renders at one sample rate, over the shorter one's length. */
export function similarity(a: Float32Array, b: Float32Array, sampleRate: number): Similarity {
  const length = Math.min(a.length, b.length);
  const sa = spectrogram(a.subarray(0, length));
  const sb = spectrogram(b.subarray(0, length));
  const la = sa.map(levelDb);
  const lb = sb.map(levelDb);
  const floorA = Math.max(...la) - 50;
  const floorB = Math.max(...lb) - 50;
  const loKhz = Math.ceil((30 * FRAME) / sampleRate);
  const hiKhz = Math.floor((8000 * FRAME) / sampleRate);
  let chromaSum = 0;
  let logSum = 0;
  let frames = 0;
  for (let f = 0; f < sa.length; f++) {
    if (la[f]! < floorA && lb[f]! < floorB) continue;
    frames++;
    chromaSum += pearson(chroma(sa[f]!, sampleRate), chroma(sb[f]!, sampleRate));
    const logA = sa[f]!.subarray(loKhz, hiKhz).map((m) => Math.log1p(100 * m));
    const logB = sb[f]!.subarray(loKhz, hiKhz).map((m) => Math.log1p(100 * m));
    logSum += cosine(logA, logB);
  }
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(la);
  const mb = mean(lb);
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let f = 0; f < la.length; f++) {
    cov += (la[f]! - ma) * (lb[f]! - mb);
    va += (la[f]! - ma) ** 2;
    vb += (lb[f]! - mb) ** 2;
  }
  return {
    chroma: frames ? chromaSum / frames : 0,
    logSpectrum: frames ? logSum / frames : 0,
    envelope: va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0,
    frames,
  };
}

/** A 16-bit PCM WAV's channels as floats (what fluidsynth -F and our export write). */
export function decodeWav16(bytes: Uint8Array): { sampleRate: number; channels: Float32Array[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let channelCount = 0;
  let sampleRate = 0;
  let bits = 0;
  while (offset + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ') {
      channelCount = view.getUint16(offset + 10, true);
      sampleRate = view.getUint32(offset + 12, true);
      bits = view.getUint16(offset + 22, true);
    } else if (id === 'data') {
      if (bits !== 16) throw new Error(`expected 16-bit PCM, got ${bits} bits`);
      const frames = Math.floor(size / (2 * channelCount));
      const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
      for (let f = 0; f < frames; f++)
        for (let c = 0; c < channelCount; c++)
          channels[c]![f] = view.getInt16(offset + 8 + (f * channelCount + c) * 2, true) / 0x8000;
      return { sampleRate, channels };
    }
    offset += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}
