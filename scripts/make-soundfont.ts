// SPDX-License-Identifier: MIT
/**
 * Writes resources/soundfont/etude-gm.sf3: the General MIDI presets Etude offers (src/core/audio/instruments.ts) cut
 * out of MuseScore_General_Lite.sf3 (Debian package musescore-general-soundfont-small, MIT; see
 * resources/soundfont/README.md), through spessasynth_core's sound-bank API. The samples stay Ogg Vorbis as they are in
 * the source (no re-encoding, so no quality loss); the file is an SF3 that spessasynth and FluidSynth both read.
 *
 * The source's grand piano is most of its size (15 MB of stereo samples in three velocity layers). Etude keeps its
 * mezzo-forte layer for every velocity (the forte layer answered velocities 108..127) and its left channel only, as a
 * mono sample panned centre: about 4 MB, the difference heard mostly as less stereo width.
 *
 *   node --import tsx scripts/make-soundfont.ts [--from FILE] [--out FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BasicSoundBank,
  GeneratorTypes,
  SoundBankLoader,
  type BasicInstrument,
  type BasicPreset,
} from 'spessasynth_core';
import { BUNDLED_INSTRUMENTS } from '../src/core/audio/instruments';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    from: { type: 'string', default: '/usr/share/sounds/sf3/MuseScore_General_Lite.sf3' },
    out: { type: 'string', default: path.join(repoRoot, 'resources/soundfont/etude-gm.sf3') },
  },
});

/** The forte layer's velocities go to the mezzo-forte layer, whose zones end at this velocity in the source. */
const MF_TOP_VELOCITY = 107;

function keepMezzoForteOnly(piano: BasicPreset): void {
  for (let i = piano.zones.length - 1; i >= 0; i--) {
    const zone = piano.zones[i]!;
    if (zone.instrument.name.startsWith('Piano FF')) piano.deleteZone(i);
    else if (zone.velRange.max === MF_TOP_VELOCITY) zone.velRange = { min: zone.velRange.min, max: 127 };
  }
}

/**
 * Drops each stereo pair's right sample; the left one plays panned centre. The source stores its pairs as two mono
 * samples named "...(L)" and "...(R)", panned hard left and right by their zones.
 */
function monoFromLeft(instrument: BasicInstrument): void {
  for (let i = instrument.zones.length - 1; i >= 0; i--) {
    const zone = instrument.zones[i]!;
    if (zone.sample.name.endsWith('(R)')) instrument.deleteZone(i, true);
    else if (zone.sample.name.endsWith('(L)')) zone.setGenerator(GeneratorTypes.pan, 0);
  }
}

await BasicSoundBank.isSF3DecoderReady;
const source = readFileSync(values.from!);
const bank = SoundBankLoader.fromArrayBuffer(
  source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength),
);
const wanted = new Set(BUNDLED_INSTRUMENTS.map((i) => i.program));
for (const preset of [...bank.presets]) {
  const keep = wanted.has(preset.program) && preset.bankMSB === 0 && preset.bankLSB === 0 && !preset.isGMGSDrum;
  if (!keep) bank.deletePreset(preset);
}
const piano = bank.presets.find((p) => p.program === 0);
if (!piano) throw new Error(`${values.from} has no acoustic grand piano (bank 0, program 0).`);
keepMezzoForteOnly(piano);
for (const zone of piano.zones) monoFromLeft(zone.instrument);
bank.removeUnusedElements();
const missing = [...wanted].filter((program) => !bank.presets.some((p) => p.program === program));
if (missing.length) throw new Error(`${values.from} lacks the GM programs ${missing.join(', ')} in bank 0.`);

bank.soundBankInfo.name = 'Etude GM (from MuseScore_General_Lite)';
bank.soundBankInfo.comment =
  `Presets ${[...wanted].join(', ')} of MuseScore_General_Lite.sf3 v0.2.1 (MIT), trimmed by Etude's ` +
  'scripts/make-soundfont.ts: piano mezzo-forte layer, left channel only. See README.md beside this file.';
const bytes = new Uint8Array(bank.writeSF2({ software: 'Etude scripts/make-soundfont.ts' }));
writeFileSync(values.out!, bytes);
console.log(
  `${values.out}: ${bank.presets.map((p) => `${p.program} ${p.name}`).join(', ')}; ` +
    `${bank.samples.length} samples, ${(bytes.byteLength / 1e6).toFixed(2)} MB`,
);
