/**
 * Tables for export (late cases, scorecards) written as CSV or XLSX. Every text cell that a spreadsheet would read as
 * a formula (starting with = + - @, their fullwidth forms ＝ ＋ － ＠ that spreadsheets also accept, tab, carriage return
 * or line feed) is neutralised with a leading apostrophe.
 */
import {
  CASE_TYPE_LABELS,
  CHANNEL_LABELS,
  CLOCK_LABELS,
  FLAG_LABELS,
  STAGE_LABELS,
  URGENCY_LABELS,
} from '@shared/domain';
import { LATENESS_LABELS } from '@shared/cases/labels';
import type { CaseRow } from '@shared/cases/query';
import type { CityopsConfig } from '@shared/config';
import { shanghaiDateKey, shanghaiMinuteOfDay } from '@shared/time';
import { scorecardNote } from '@shared/kpi/scoring';
import type { Scorecards } from './scorecards';
import { percentText } from '@shared/percent';

/** A table: headers and rows of cells. */
export interface Table {
  readonly name: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
}

/** A text cell made safe from formula injection. */
export function neutralise(v: string): string {
  return /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/.test(v) ? `'${v}` : v;
}

function cell(v: string | number | null): string | number | null {
  return typeof v === 'string' ? neutralise(v) : v;
}

/** Shanghai `YYYY-MM-DD HH:mm` of an instant. */
export function shanghaiTime(ms: number | null): string {
  if (ms === null) return '';
  const m = shanghaiMinuteOfDay(ms);
  return `${shanghaiDateKey(ms)} ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(Math.floor(m % 60)).padStart(2, '0')}`;
}

/** The late-case table. */
export function caseTable(rows: readonly CaseRow[], config: CityopsConfig): Table {
  const streets = new Map(config.streets.map((s) => [s.id, s.name]));
  const units = new Map(config.units.map((u) => [u.id, u.name]));
  return {
    name: '超期案件',
    headers: [
      '案件编号',
      '来源',
      '类型',
      '紧急程度',
      '标记',
      '分类',
      '街道',
      '承办单位',
      '阶段',
      '标题',
      '受理时间',
      '状态',
      '时钟',
      '时限',
      '超期分钟',
      '督办次数',
      '不计考核',
    ],
    rows: rows.map((r) => [
      r.id,
      CHANNEL_LABELS[r.channel],
      CASE_TYPE_LABELS[r.caseType],
      URGENCY_LABELS[r.urgency],
      r.flags.map((f) => FLAG_LABELS[f]).join('、'),
      r.category,
      streets.get(r.street) ?? r.street,
      r.unit ? (units.get(r.unit) ?? r.unit) : '',
      STAGE_LABELS[r.stage],
      r.title,
      shanghaiTime(r.receivedAt),
      LATENESS_LABELS[r.lateness],
      r.clock ? CLOCK_LABELS[r.clock] : '',
      shanghaiTime(r.deadline),
      r.overdueMinutes,
      r.supervisedCount,
      r.exempt ? '是' : '',
    ]),
  };
}

const pct = (x: number | null): string => (x === null ? '' : percentText(x, 2));

/** The scorecard table. */
export function scorecardTable(cards: Scorecards): Table {
  return {
    name: `单位考核 ${cards.period.label}`,
    headers: [
      '排名',
      '单位',
      '总分',
      ...cards.indicators.map((i) => `${i.label}(${i.weight})`),
      ...cards.indicators.map((i) => `${i.label}得分`),
      '派单量',
      '当前超期',
      '计分说明',
    ],
    rows: cards.units.map((u) => [
      u.rank,
      u.name,
      u.insufficient ? '数据不足' : Number(u.total.toFixed(2)),
      ...u.scorecard.indicators.map((i) => pct(i.actual)),
      ...u.scorecard.indicators.map((i) => (i.points === null ? '未计分' : Number(i.points.toFixed(2)))),
      u.kpis.counts.dispatched,
      u.overdueNow,
      scorecardNote(u.scorecard, cards.minJudgedShare),
    ]),
  };
}

/** CSV text (UTF-8 with BOM so Excel reads the Chinese). */
export function toCsv(t: Table): string {
  const q = (v: string | number | null): string => {
    const s = v === null ? '' : String(cell(v));
    return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `\ufeff${[t.headers, ...t.rows].map((r) => r.map(q).join(',')).join('\r\n')}\r\n`;
}

/** An XLSX workbook with the table on one sheet. */
export async function toXlsx(t: Table): Promise<Buffer> {
  // The workbook library is large and only exports need it: loaded on the first one, not at start.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'cityops-wall';
  const ws = wb.addWorksheet(t.name.replace(/[\\/?*[\]:]/g, ' ').slice(0, 31));
  ws.addRow(t.headers.map((h) => neutralise(h))).font = { bold: true };
  for (const r of t.rows) ws.addRow(r.map(cell));
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  ws.columns.forEach((c) => {
    c.width = 14;
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}
