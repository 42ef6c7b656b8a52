// SPDX-License-Identifier: MIT
/**
 * Audio as a RIFF/WAVE file: 16-bit signed PCM, little-endian, interleaved channels, the canonical 44-byte header.
 * Every player, DAW and sox reads it. Pure: bytes out, no file system.
 */

/** Bytes in the canonical header (RIFF + fmt + data chunk headers). */
export const WAV_HEADER_BYTES = 44;

/**
 * Encodes channels of samples in [-1, 1] (clipped beyond) as a 16-bit PCM WAV file.
 * @param channels one Float32Array a channel, all the same length (1 = mono, 2 = left, right)
 * @param sampleRate frames a second, e.g. 44100
 * @throws RangeError for no channels, channels of different lengths, or a sample rate that is not a positive integer
 * @example encodeWav([left, right], 44100) // a stereo CD-quality file
 */
export function encodeWav(channels: readonly Float32Array[], sampleRate: number): Uint8Array {
  if (channels.length < 1 || channels.length > 8)
    throw new RangeError(`a WAV needs 1 to 8 channels, got: ${channels.length}`);
  const frames = channels[0]!.length;
  if (channels.some((c) => c.length !== frames))
    throw new RangeError(`every channel must hold the same number of samples, got: ${channels.map((c) => c.length)}`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0)
    throw new RangeError(`sampleRate must be a positive integer, got: ${sampleRate}`);
  const blockAlign = channels.length * 2;
  const dataBytes = frames * blockAlign;
  const out = new Uint8Array(WAV_HEADER_BYTES + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  let offset = WAV_HEADER_BYTES;
  for (let frame = 0; frame < frames; frame++) {
    for (const channel of channels) {
      const s = Math.max(-1, Math.min(1, channel[frame]!));
      view.setInt16(offset, Math.round(s < 0 ? s * 0x8000 : s * 0x7fff), true);
      offset += 2;
    }
  }
  return out;
}
