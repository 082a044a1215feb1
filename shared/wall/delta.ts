/** The wall stream: a snapshot, then sequence-numbered deltas; one pure reducer applies a delta on both sides. */
import type { WallView } from './view';
import { PANEL_KEYS, type PanelKey } from './registry';
import type { EpochMs } from '../time';
import {
  applyFields,
  applyList,
  applyPatch,
  diffFields,
  diffList,
  diffValue,
  type FieldsPatch,
  type ListPatch,
  type ValuePatch,
} from './patch';

/** The full view at a sequence number. */
export interface WallSnapshot {
  readonly seq: number;
  readonly view: WallView;
}

/**
 * Changes since the previous sequence number, only what changed: the clock always; per changed panel a field-level
 * patch (`panels`); the alert ticker as list operations (`alerts`: `d` alert ids removed, `i` alerts inserted at their
 * index, `u` alerts changed in place), absent when the ticker did not change; other view fields that changed (`view`,
 * rare: clock rate, drill, setup). Apply it with `applyWallDelta` to the view of `seq - 1`.
 */
export interface WallDelta {
  readonly seq: number;
  readonly space: string;
  readonly now: EpochMs;
  readonly day: string;
  readonly lastEventAt: EpochMs | null;
  readonly panels: Partial<Readonly<Record<PanelKey, ValuePatch>>>;
  readonly alerts?: ListPatch;
  readonly view?: FieldsPatch;
}

/** View fields every delta carries outright. */
const CLOCK_KEYS = ['space', 'now', 'day', 'lastEventAt'] as const;
const OWN_KEYS: ReadonlySet<string> = new Set<string>([...PANEL_KEYS, ...CLOCK_KEYS, 'alerts']);

/** Whether a delta follows a view's sequence number directly (otherwise the client must resync). */
export function followsDirectly(seq: number, delta: Pick<WallDelta, 'seq'>): boolean {
  return delta.seq === seq + 1;
}

/** Applies a delta to the view it was diffed from: patches the panels and the ticker, moves the clock. Pure. */
export function applyWallDelta(view: WallView, delta: WallDelta): WallView {
  const out: Record<string, unknown> = delta.view
    ? applyFields<Record<string, unknown>>({ ...view }, delta.view)
    : { ...view };
  for (const [key, patch] of Object.entries(delta.panels) as [PanelKey, ValuePatch][])
    out[key] = applyPatch(view[key], patch);
  if (delta.alerts) out.alerts = applyList(view.alerts, delta.alerts);
  Object.assign(out, { space: delta.space, now: delta.now, day: delta.day, lastEventAt: delta.lastEventAt });
  return out as unknown as WallView;
}

/** The delta that turns `prev` into `next`: `applyWallDelta(prev, diffWallViews(prev, next, seq))` deep-equals `next`. */
export function diffWallViews(prev: WallView, next: WallView, seq: number): WallDelta {
  const panels: Partial<Record<PanelKey, ValuePatch>> = {};
  for (const key of PANEL_KEYS) {
    const p = diffValue(prev[key], next[key]);
    // Panels are objects or lists, so a change is never a bare scalar; keep the type honest anyway.
    if (p !== undefined) panels[key] = typeof p === 'object' && p !== null ? p : { $: p };
  }
  const alerts = diffList(prev.alerts, next.alerts);
  const view = diffFields(rest(prev), rest(next));
  return {
    seq,
    space: next.space,
    now: next.now,
    day: next.day,
    lastEventAt: next.lastEventAt,
    panels,
    ...(alerts ? { alerts } : {}),
    ...(view ? { view } : {}),
  };
}

/** The view's fields a delta does not carry on its own (clock rate, drill, setup, …). */
function rest(v: WallView): Record<string, unknown> {
  return Object.fromEntries(Object.entries(v).filter(([key]) => !OWN_KEYS.has(key)));
}

/** Whether a message has a delta's outer shape (what a client checks before applying it). */
export function isWallDelta(x: unknown): x is WallDelta {
  if (!isObject(x)) return false;
  const d = x as Partial<Record<keyof WallDelta, unknown>>;
  return (
    typeof d.seq === 'number' &&
    typeof d.now === 'number' &&
    isObject(d.panels) &&
    (d.view === undefined || isObject(d.view)) &&
    (d.alerts === undefined || (isObject(d.alerts) && 'k' in d.alerts))
  );
}

const isObject = (x: unknown): x is object => typeof x === 'object' && x !== null && !Array.isArray(x);
