/**
 * The characters the pages can show without a citizen typing them: every string in the client's sources, the domain's
 * labels and the configured names (the default configuration, or the file `CITYOPS_CONFIG` names).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG, mergeConfig } from '@shared/config';

const SOURCES = [
  'client/src',
  'client/index.html',
  'shared/domain.ts',
  'shared/config.ts',
  'shared/kpi',
  'shared/projection',
  'shared/wall',
  'shared/cases',
  'shared/sla',
];

function walk(p: string, out: string[]): void {
  if (statSync(p).isDirectory()) {
    for (const f of readdirSync(p)) walk(path.join(p, f), out);
  } else if (/\.(vue|ts|html)$/.test(p) && !p.endsWith('.d.ts')) {
    out.push(p);
  }
}

/** Every non-ASCII character of the sources and the configured names, plus ASCII's printable ones. */
export function uiCharacters(root: string, configFile?: string): Set<string> {
  const files: string[] = [];
  for (const s of SOURCES) walk(path.join(root, s), files);
  let text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
  const config = configFile
    ? mergeConfig(DEFAULT_CONFIG, JSON.parse(readFileSync(configFile, 'utf8')))
    : DEFAULT_CONFIG;
  text += JSON.stringify(config);
  const out = new Set<string>();
  for (let cp = 0x20; cp < 0x7f; cp++) out.add(String.fromCodePoint(cp));
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x7f && !(cp >= 0xd800 && cp <= 0xdfff) && !/\p{Cc}|\p{Cf}/u.test(ch)) out.add(ch);
  }
  return out;
}
