/** Wall-clock ms with sub-ms precision, comparable across processes on one machine (the fan-out bench's processes). */
export const clockMs = (): number => performance.timeOrigin + performance.now();
