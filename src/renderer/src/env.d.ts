/// <reference types="svelte" />
/// <reference types="vite/client" />

/** VexFlow's Bravura font as a data: URL (alias in scripts/rendererAliases.ts). */
declare module 'vexflow-bravura-font' {
  export const Bravura: string;
}
