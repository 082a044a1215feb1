/**
 * The shipped font subset keeps up with the pages: every character the client's sources, the domain's labels and the
 * default names use is in it (a new label without `npm run build:fonts` fails here), and each file the page preloads
 * exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { uiCharacters } from '../../scripts/fontChars';

const ROOT = path.resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'client/src/fonts.json'), 'utf8')) as {
  characters: string;
  notInFont: string;
  files: { file: string; weight: number }[];
};

describe('when the pages use a character', () => {
  it('then the shipped subset has it, or Noto Sans SC has no glyph for it either', () => {
    const inFont = new Set(manifest.characters);
    const notInNoto = new Set(manifest.notInFont);
    const missing = [...uiCharacters(ROOT)].filter(
      (ch) => ch.codePointAt(0)! > 0x2000 && !inFont.has(ch) && !notInNoto.has(ch),
    );
    expect(missing.join(''), 'run npm run build:fonts').toBe('');
    expect(inFont.has('城')).toBe(true);
    expect(inFont.has('珞')).toBe(true);
  });

  it('then every subset file is there, in both weights, and index.html preloads each', () => {
    const html = readFileSync(path.join(ROOT, 'client/index.html'), 'utf8');
    expect(new Set(manifest.files.map((f) => f.weight))).toEqual(new Set([400, 700]));
    for (const f of manifest.files) {
      expect(existsSync(path.join(ROOT, 'client/public', f.file)), f.file).toBe(true);
      expect(html).toContain(`<link rel="preload" href="${f.file}" as="font" type="font/woff2" crossorigin />`);
    }
  });
});
