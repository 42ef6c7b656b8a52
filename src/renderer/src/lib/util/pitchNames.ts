// SPDX-License-Identifier: MIT
/**
 * Pitch names for labels. Delegates to the core's keys module so the renderer and the CLI
 * name pitches the same way.
 */
export { pitchName, parsePitchName } from '../../../../core/music/keys';
