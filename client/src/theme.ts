/**
 * The wall's colours, defined once. The stylesheets use them as CSS variables (`var(--text-bright)`), which
 * `applyTheme` writes on the document at start; ECharts options, which need concrete colours, read `THEME` itself.
 * The four status colours are the configuration's defaults; the wall page replaces them with the configured ones.
 */
import type { Channel } from '@shared/domain';

/** Every colour of the wall's theme by its CSS variable name (without the leading `--`). */
export const THEME = {
  bg: '#050b1a',
  'bg-panel': 'rgba(8, 24, 52, 0.72)',
  line: 'rgba(64, 158, 255, 0.28)',
  'line-strong': 'rgba(0, 212, 255, 0.65)',
  accent: '#00d4ff',
  'accent-2': '#3d7bff',
  text: '#d8e9ff',
  'text-dim': '#7f9cc4',
  'text-faint': '#4d6a91',
  /** Figures and names that stand out on a panel. */
  'text-bright': '#eaf6ff',
  good: '#2fd89a',
  warn: '#ffb547',
  bad: '#ff4d5e',
  neutral: '#5fb8ff',
  /** Sensing (智能感知) markers. */
  sensing: '#3de0e0',
  /** The empty track behind a bar. */
  track: 'rgba(95, 184, 255, 0.1)',
  /** Dashed rules between a list's rows. */
  rule: 'rgba(95, 184, 255, 0.15)',
  'chart-grid': 'rgba(95, 184, 255, 0.12)',
  'chart-legend': '#a9c2e6',
  /** The agents' load band shaded on its chart. */
  'chart-band': 'rgba(47, 216, 154, 0.08)',
  /** Yesterday's line on the trend chart. */
  'chart-yesterday': '#c8d6ea',
  'tooltip-bg': 'rgba(6, 20, 46, 0.95)',
  'map-area': 'rgba(30, 120, 255, 0.18)',
  'map-area-hover': 'rgba(0, 212, 255, 0.35)',
  'map-border': 'rgba(95, 184, 255, 0.7)',
  'map-label-hover': '#fff',
  'agent-ready': '#2fd89a',
  'agent-on-call': '#3d9bff',
  'agent-after-call': '#9b7bff',
  'agent-break': '#ffb547',
  'agent-logged-in': '#6f86a8',
} as const;

/** Name of a theme colour. */
export type ThemeColour = keyof typeof THEME;

/** Colours of the channels (charts and the channel mix). */
export const CHANNEL_COLOURS: Readonly<Record<Channel, string>> = {
  hotline: '#00b4ff',
  district_line: '#ff6b8b',
  message_board: '#9b7bff',
  city_mgmt: '#2fd89a',
  grid_patrol: '#ffd166',
  sensing: THEME.sensing,
  referral: '#ff9f43',
};

/** The four colours with one meaning everywhere. */
export interface StatusColours {
  readonly good: string;
  readonly warn: string;
  readonly bad: string;
  readonly neutral: string;
}

/** Writes every theme colour as a CSS variable on `root` (the document element). */
export function applyTheme(root: HTMLElement): void {
  for (const [name, value] of Object.entries(THEME)) root.style.setProperty(`--${name}`, value);
}

/** Writes the configured status colours over the theme's (`--good`, `--warn`, `--bad`, `--neutral`). */
export function applyStatusColours(root: HTMLElement, colours: StatusColours): void {
  for (const [name, value] of Object.entries(colours)) root.style.setProperty(`--${name}`, value);
}
