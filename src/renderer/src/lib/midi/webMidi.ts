// SPDX-License-Identifier: MIT
/**
 * The browser's Web MIDI API behind three calls: ask for access (a sentence when there is none), list the ports, and
 * listen to one input. The standard API is used directly: it is all we need (no sysex, no parsing, which
 * src/core/midi/liveMessages.ts does), and tests replace `navigator.requestMIDIAccess` with a fake of the same shape.
 * https://webaudio.github.io/web-midi-api/
 */

export interface MidiPortInfo {
  id: string;
  name: string;
}

export type MidiAccessResult = { ok: true; access: MIDIAccess } | { ok: false; reason: string };

/**
 * Asks for MIDI access without sysex (the desktop app grants 'midi' only; a browser may ask the user).
 * Never throws: the failure is a sentence for the screen.
 */
export async function requestMidiAccess(nav: Navigator = navigator): Promise<MidiAccessResult> {
  if (typeof nav.requestMIDIAccess !== 'function')
    return {
      ok: false,
      reason:
        'This browser has no Web MIDI, so MIDI keyboards and MIDI out cannot be used here: open the studio in Chrome or Edge, or use the desktop app.',
    };
  try {
    return { ok: true, access: await nav.requestMIDIAccess({ sysex: false }) };
  } catch (error) {
    const name = error instanceof Error || error instanceof DOMException ? error.name : '';
    if (name === 'NotAllowedError' || name === 'SecurityError')
      return {
        ok: false,
        reason:
          'MIDI access was refused: allow MIDI devices for this page (in a browser, the icon at the left of the address bar), then press Connect MIDI again.',
      };
    return {
      ok: false,
      reason: `The MIDI devices could not be opened (${error instanceof Error ? error.message : String(error)}): reconnect the device and press Connect MIDI again.`,
    };
  }
}

function portsOf(map: MIDIInputMap | MIDIOutputMap): MidiPortInfo[] {
  const out: MidiPortInfo[] = [];
  map.forEach((port: MIDIInput | MIDIOutput) => {
    if (port.state !== 'disconnected') out.push({ id: port.id, name: port.name || port.id });
  });
  return out;
}

export function midiInputs(access: MIDIAccess): MidiPortInfo[] {
  return portsOf(access.inputs);
}

export function midiOutputs(access: MIDIAccess): MidiPortInfo[] {
  return portsOf(access.outputs);
}

/**
 * Delivers an input's messages (bytes and their time on the `performance.now()` clock) until the returned function
 * is called. Setting `onmidimessage` opens the port, as the specification says.
 */
export function listenToInput(
  access: MIDIAccess,
  inputId: string,
  onMessage: (data: Uint8Array, timeMs: number) => void,
): () => void {
  const input = access.inputs.get(inputId);
  if (!input) return () => {};
  input.onmidimessage = (event: MIDIMessageEvent) => {
    if (event.data) onMessage(event.data, event.timeStamp || performance.now());
  };
  return () => {
    input.onmidimessage = null;
  };
}
