import { describe, expect, it } from 'vitest';
import { keyLabelForPitch, seedKeyAction } from '../../src/renderer/src/lib/input/seedKeyboard';

describe('computer keyboard as seed piano', () => {
  it('maps A W S E D F T G Y H U J K to C..C in the current octave', () => {
    const pitches = [...'awsedftgyhujk'].map((k) => {
      const a = seedKeyAction(k, 4);
      return a.kind === 'note' ? a.pitch : null;
    });
    expect(pitches).toEqual([60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72]);
    expect(seedKeyAction('A', 3)).toEqual({ kind: 'note', pitch: 48 });
  });

  it('shifts octaves with Z and X within 0..8', () => {
    expect(seedKeyAction('z', 4)).toEqual({ kind: 'octave', octave: 3 });
    expect(seedKeyAction('x', 4)).toEqual({ kind: 'octave', octave: 5 });
    expect(seedKeyAction('z', 0)).toEqual({ kind: 'octave', octave: 0 });
    expect(seedKeyAction('x', 8)).toEqual({ kind: 'octave', octave: 8 });
  });

  it('ignores other keys and pitches beyond 127', () => {
    expect(seedKeyAction('q', 4)).toEqual({ kind: 'none' });
    expect(seedKeyAction('Enter', 4)).toEqual({ kind: 'none' });
    expect(seedKeyAction('k', 9)).toEqual({ kind: 'none' }); // C10 = 132
    expect(seedKeyAction('a', 9)).toEqual({ kind: 'note', pitch: 120 });
  });

  it('labels on-screen keys with their computer key', () => {
    expect(keyLabelForPitch(60, 4)).toBe('A');
    expect(keyLabelForPitch(61, 4)).toBe('W');
    expect(keyLabelForPitch(72, 4)).toBe('K');
    expect(keyLabelForPitch(73, 4)).toBeNull();
  });
});
