// SPDX-License-Identifier: MIT
/**
 * MIDI devices through Web MIDI: the chosen input plays seed notes (and records them, ./seedRecorder.svelte.ts), the
 * chosen output plays a take to a DAW or a synthesiser. Access is asked for when the composer presses Connect MIDI,
 * never on start (a browser may show a prompt).
 */
import { noteEventOf } from '../../../../core/midi/liveMessages';
import type { NoteSequence } from '../../../../core/music/NoteSequence';
import { takeChannels, takeMessages } from '../../../../core/midi/takeSchedule';
import { listenToInput, midiInputs, midiOutputs, requestMidiAccess, type MidiPortInfo } from '../midi/webMidi';
import { TakePlayer } from '../midi/takePlayer';
import { seedRecorder } from './seedRecorder.svelte';

class MidiDevices {
  status = $state<'off' | 'connecting' | 'ready' | 'unavailable'>('off');
  /** Why MIDI cannot be used (no Web MIDI, permission refused), as a sentence. */
  problem = $state<string | null>(null);
  inputs = $state.raw<MidiPortInfo[]>([]);
  outputs = $state.raw<MidiPortInfo[]>([]);
  /** '' = none chosen. */
  inputId = $state('');
  outputId = $state('');
  /** The take playing to the output (its key), if any. */
  sendingKey = $state<string | null>(null);

  private access: MIDIAccess | null = null;
  private unlisten: () => void = () => {};
  private player: TakePlayer | null = null;

  async connect(): Promise<void> {
    if (this.status === 'connecting' || this.status === 'ready') return;
    this.status = 'connecting';
    const result = await requestMidiAccess();
    if (!result.ok) {
      this.status = 'unavailable';
      this.problem = result.reason;
      return;
    }
    this.access = result.access;
    this.problem = null;
    this.status = 'ready';
    // Plugging a device in or out updates the lists (and drops a choice that went away).
    this.access.onstatechange = () => this.refresh();
    this.refresh();
    if (!this.inputId && this.inputs[0]) this.selectInput(this.inputs[0].id);
    if (!this.outputId && this.outputs[0]) this.outputId = this.outputs[0].id;
  }

  private refresh(): void {
    if (!this.access) return;
    this.inputs = midiInputs(this.access);
    this.outputs = midiOutputs(this.access);
    if (this.inputId && !this.inputs.some((p) => p.id === this.inputId)) this.selectInput('');
    if (this.outputId && !this.outputs.some((p) => p.id === this.outputId)) {
      this.stopTake();
      this.outputId = '';
    }
  }

  /** Listens to one input ('' = none): its keys go where the on-screen piano's go. */
  selectInput(id: string): void {
    this.unlisten();
    this.unlisten = () => {};
    this.inputId = id;
    if (!id || !this.access) return;
    this.unlisten = listenToInput(this.access, id, (data, timeMs) => {
      const event = noteEventOf(data, timeMs);
      if (event) seedRecorder.fromDevice(event);
    });
  }

  /** Plays a take to the chosen output; a take already playing stops first. Answers a sentence when it cannot. */
  sendTake(key: string, sequence: NoteSequence): string | null {
    this.stopTake();
    const output = this.access?.outputs.get(this.outputId);
    if (!output) return 'Choose a MIDI output first (Connect MIDI, then pick one under MIDI out).';
    // clear() is in the specification but not in Chrome (nor in TypeScript's DOM types): used where it exists.
    const clearable = output as MIDIOutput & { clear?: () => void };
    const sink = {
      send: (data: number[], at?: number) => output.send(data, at),
      ...(typeof clearable.clear === 'function' ? { clear: () => clearable.clear!() } : {}),
    };
    this.player = new TakePlayer(sink, takeMessages(sequence), takeChannels(sequence), () => {
      if (this.sendingKey === key) this.sendingKey = null;
      this.player = null;
    });
    this.sendingKey = key;
    this.player.start();
    return null;
  }

  /** Stops the take playing to the output, silencing it (All Notes Off). */
  stopTake(): void {
    this.player?.stop();
    this.player = null;
    this.sendingKey = null;
  }
}

export const midiDevices = new MidiDevices();
