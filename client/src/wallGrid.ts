/**
 * Spliced video walls (`?grid=3x1&bezel=12`): the window is a grid of physical screens, columns × rows, with bezels
 * between them. Each screen gets its own 1080-high stage with whole wall columns on it, so no panel ever crosses a
 * bezel; `bezel` (device pixels, each inner edge) is kept empty on both sides of every seam.
 */

/** The wall's columns: hotline, centre (map, trends), case flow, duty. */
export const WALL_COLUMNS = ['c1', 'c2', 'c3', 'c4'] as const;
/** A wall column. */
export type WallColumn = (typeof WALL_COLUMNS)[number];

/** Which columns each screen shows, screens in reading order (left to right, top to bottom). */
export const GRID_PRESETS: Readonly<Record<string, readonly (readonly WallColumn[])[]>> = {
  '1x1': [['c1', 'c2', 'c3', 'c4']],
  '2x1': [
    ['c1', 'c2'],
    ['c3', 'c4'],
  ],
  '3x1': [['c1', 'c3'], ['c2'], ['c4']],
  '4x1': [['c1'], ['c2'], ['c3'], ['c4']],
  '2x2': [['c1'], ['c2'], ['c3'], ['c4']],
};

/** A spliced wall: its grid and bezel (device px). */
export interface GridSpec {
  readonly key: string;
  readonly cols: number;
  readonly rows: number;
  readonly bezel: number;
}

/** One physical screen: its box in the window (CSS px, bezel margins taken off) and its columns. */
export interface ScreenBox {
  readonly index: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly columns: readonly WallColumn[];
}

/**
 * Reads `grid` and `bezel` from the address: null without a grid; an error naming the parameter for a grid without a
 * preset or a bezel that is not 0–200 px.
 */
export function parseGrid(params: URLSearchParams): { ok: true; grid: GridSpec | null } | { ok: false; error: string } {
  const raw = params.get('grid');
  if (raw === null || raw === '') return { ok: true, grid: null };
  const m = /^([1-8])x([1-8])$/.exec(raw);
  if (!m || !GRID_PRESETS[raw])
    return {
      ok: false,
      error: `grid=${raw.slice(0, 20)}: no layout for it; use one of ${Object.keys(GRID_PRESETS).join(', ')}`,
    };
  const bezelRaw = params.get('bezel') ?? '0';
  const bezel = Number(bezelRaw);
  if (!Number.isInteger(bezel) || bezel < 0 || bezel > 200)
    return { ok: false, error: `bezel=${bezelRaw.slice(0, 20)}: must be a whole number of pixels, 0–200` };
  return { ok: true, grid: { key: raw, cols: Number(m[1]), rows: Number(m[2]), bezel } };
}

/** The screens of a grid in a window of `width`×`height` CSS px at device pixel ratio `dpr`. */
export function screenBoxes(grid: GridSpec, width: number, height: number, dpr: number): ScreenBox[] {
  const preset = GRID_PRESETS[grid.key] ?? [];
  const w = width / grid.cols;
  const h = height / grid.rows;
  const margin = grid.bezel / Math.max(0.1, dpr);
  return preset.map((columns, index) => {
    const c = index % grid.cols;
    const r = Math.floor(index / grid.cols);
    const left = c === 0 ? 0 : margin;
    const right = c === grid.cols - 1 ? 0 : margin;
    const top = r === 0 ? 0 : margin;
    const bottom = r === grid.rows - 1 ? 0 : margin;
    return { index, x: c * w + left, y: r * h + top, width: w - left - right, height: h - top - bottom, columns };
  });
}
