/**
 * One ECharts instance in an element: created on mount, fed by a reactive option, resized by a throttled
 * ResizeObserver that skips zero-size boxes, and disposed before unmount so a 7×24 wall does not leak. Its text is
 * drawn in the page's own font stack (the shipped Chinese faces), and drawn again once a face the page was waiting
 * for has loaded: a canvas keeps whatever glyphs it was drawn with.
 */
import { init, registerMap, use, type ComposeOption, type ECharts } from 'echarts/core';
import {
  BarChart,
  EffectScatterChart,
  LineChart,
  type BarSeriesOption,
  type EffectScatterSeriesOption,
  type LineSeriesOption,
} from 'echarts/charts';
import {
  GeoComponent,
  GridComponent,
  LegendPlainComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
  type GeoComponentOption,
  type GridComponentOption,
  type LegendComponentOption,
  type MarkAreaComponentOption,
  type MarkLineComponentOption,
  type TooltipComponentOption,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { onBeforeUnmount, onMounted, shallowRef, watch, type Ref } from 'vue';
import { useStageScale } from './useStage';
import { THEME } from '../theme';

use([
  BarChart,
  LineChart,
  EffectScatterChart,
  GeoComponent,
  GridComponent,
  LegendPlainComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
  CanvasRenderer,
]);

/** The options the wall's charts may use (only what is registered above). */
export type WallChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | EffectScatterSeriesOption
  | GeoComponentOption
  | GridComponentOption
  | LegendComponentOption
  | MarkAreaComponentOption
  | MarkLineComponentOption
  | TooltipComponentOption
>;

const RESIZE_THROTTLE_MS = 200;

/** Registers a GeoJSON boundary under `name` for `geo` components (ECharts keeps it for the page's life). */
/** The wall's tooltip for axis charts: one style everywhere, kept inside the chart so the scaled stage never clips it. */
export const AXIS_TOOLTIP = {
  trigger: 'axis',
  className: 'wall-tooltip',
  confine: true,
  axisPointer: { type: 'shadow' },
  backgroundColor: THEME['tooltip-bg'],
  borderColor: THEME.accent,
  textStyle: { color: THEME.text, fontSize: 13 },
} as const;

export function registerGeoJson(name: string, geojson: unknown): void {
  registerMap(name, geojson as Parameters<typeof registerMap>[1]);
}

/** Renders `option()` into `el`; re-renders when it changes. */
export function useEChart(el: Readonly<Ref<HTMLElement | null>>, option: () => WallChartOption): void {
  // Never reactive: Vue proxies around an ECharts instance cost memory and break its internals.
  const chart = shallowRef<ECharts | null>(null);
  const scale = useStageScale();
  let observer: ResizeObserver | null = null;
  let resizeTimer: ReturnType<typeof setTimeout> | null = null;

  const create = (): void => {
    if (!el.value) return;
    // The stage is scaled by a CSS transform: render at the pixels it ends up covering, so a 4K wall stays sharp.
    const devicePixelRatio = (window.devicePixelRatio || 1) * Math.max(1, scale.value);
    chart.value = init(el.value, undefined, { renderer: 'canvas', devicePixelRatio });
    // ECharts draws in `sans-serif` by default, which on a kiosk without Chinese fonts has no Chinese glyphs: every
    // label would be a row of boxes. The page's stack starts with the faces it ships.
    chart.value.setOption({ textStyle: { fontFamily: getComputedStyle(el.value).fontFamily } });
    chart.value.setOption(option());
  };

  const dispose = (): void => {
    chart.value?.dispose();
    chart.value = null;
  };

  // A face that loads after the chart was drawn (a unicode-range slice its labels asked for) is only used by a new draw.
  const redraw = (): void => {
    if (!chart.value) return;
    dispose();
    create();
  };
  const fonts = typeof document !== 'undefined' ? document.fonts : undefined;

  onMounted(() => {
    create();
    fonts?.addEventListener('loadingdone', redraw);
    if (!el.value) return;
    observer = new ResizeObserver((entries) => {
      const box = entries[0]?.contentRect;
      if (!box || box.width === 0 || box.height === 0 || resizeTimer !== null) return;
      resizeTimer = setTimeout(() => {
        resizeTimer = null;
        chart.value?.resize();
      }, RESIZE_THROTTLE_MS);
    });
    observer.observe(el.value);
  });

  watch(option, (next) => {
    chart.value?.setOption(next, { notMerge: false, lazyUpdate: true });
  });

  // The pixel ratio is fixed at init, so a new scale means a new instance.
  watch(scale, () => {
    dispose();
    create();
  });

  onBeforeUnmount(() => {
    fonts?.removeEventListener('loadingdone', redraw);
    observer?.disconnect();
    observer = null;
    if (resizeTimer !== null) clearTimeout(resizeTimer);
    dispose();
  });
}
