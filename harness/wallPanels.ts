/** What the wall's browser tests check about its panels: every name, their boxes, and the link contract. */
import type { Page } from 'playwright-core';
import { WALL_ELEMENTS } from '@shared/wall/registry';

/** Every panel of the wall by its `data-panel` name (the panel registry's elements and the alert ticker). */
export const WALL_PANELS = WALL_ELEMENTS;

/** A panel's box and content as the page lays it out. */
export interface PanelBox {
  name: string;
  x: number;
  y: number;
  w: number;
  h: number;
  text: number;
  overflow: number;
}

/** Boxes of every panel (CSS px of the viewport), the length of its text, and how far its body's content overflows. */
export function panelBoxes(page: Page): Promise<PanelBox[]> {
  return page.evaluate(
    (names) =>
      names.map((name) => {
        const el = document.querySelector<HTMLElement>(`[data-panel="${name}"]`);
        if (!el) return { name, x: 0, y: 0, w: 0, h: 0, text: 0, overflow: 0 };
        const r = el.getBoundingClientRect();
        const body = el.querySelector<HTMLElement>(':scope > .body');
        const overflow = body ? body.scrollHeight - body.clientHeight : 0;
        return { name, x: r.x, y: r.y, w: r.width, h: r.height, text: (el.innerText ?? '').trim().length, overflow };
      }),
    [...WALL_PANELS],
  );
}

/** Pairs of panels whose boxes overlap by more than a pixel each way. */
export function overlaps(boxes: readonly PanelBox[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (dx > 1 && dy > 1) out.push(`${a.name}×${b.name}`);
    }
  }
  return out;
}
