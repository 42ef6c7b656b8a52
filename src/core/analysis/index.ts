// SPDX-License-Identifier: MIT
/** Pure measures of notes: key finding, quality metrics, the quality report, plots, degeneracy. */
export * from './errors';
export * from './passage';
export * from './keyFinder';
export * from './metrics';
export * from './copying';
export * from './report';
export * from './svgPlots';
export * from './degeneracy';
export * from './sectionSimilarity';
