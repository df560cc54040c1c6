/** Epoch milliseconds. Passed in everywhere time matters, so tests control it (STYLE). */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
