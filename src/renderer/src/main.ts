// SPDX-License-Identifier: MIT
import { mount } from 'svelte';
import App from './App.svelte';
import { renderOffline } from './lib/audio/SampledInstrument';
import { testSeamsWanted } from './lib/testSeams';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html lost its #app element');

// The browser suite's one audio seam (test/e2e/sound.e2e.test.ts): a take's MIDI rendered offline through the same
// worklet processor and SoundFont that playback loads, as this page's CSP and asset serving allow them. Only on a
// page opened for tests (?test-seams; lib/testSeams.ts says why).
if (testSeamsWanted(window.location.search))
  Object.defineProperty(window, 'etudeSound', { value: Object.freeze({ renderOffline }) });

export default mount(App, { target });
