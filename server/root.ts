/**
 * The project's root folder (the one with its package.json): where the built client, the shared sources the fold
 * version hashes and the simulator live. Found by walking up from this module, so it is the same whether the server
 * runs from its TypeScript sources or from the bundle in dist/server.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'cityops-wall'
    )
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no cityops-wall package.json above ${from}`);
  }
}

/** Absolute path of the project's root folder. */
export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
