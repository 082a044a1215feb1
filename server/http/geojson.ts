/** Serves the configured GeoJSON boundary file for the wall's map (read once, checked to be a FeatureCollection). */
import express, { type Router } from 'express';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GEOJSON_URL } from '@shared/projection/view';
import type { Logger } from '../log';
import { requestIdOf } from './requestId';
import { sendError } from './errors';

/** A router answering GEOJSON_URL with the file named by the config (relative paths from the working directory). */
export function geojsonRoutes(file: string | undefined, log: Logger): Router {
  const r = express.Router();
  let body: string | null = null;
  r.get(GEOJSON_URL, (_req, res) => {
    if (!file) return sendError(res, 'not_found', 'no GeoJSON boundary is configured (config "geojson")');
    try {
      if (body === null) {
        const text = readFileSync(path.resolve(file), 'utf8');
        const parsed = JSON.parse(text) as { type?: unknown; features?: unknown };
        if (parsed.type !== 'FeatureCollection' || !Array.isArray(parsed.features))
          throw new Error('not a GeoJSON FeatureCollection');
        body = text;
      }
      res.type('application/geo+json').set('cache-control', 'public, max-age=3600').send(body);
    } catch (err) {
      log.error({ err, file, reqId: requestIdOf(res) }, 'the configured GeoJSON boundary file could not be read');
      sendError(res, 'internal', 'the configured GeoJSON boundary file could not be read');
    }
  });
  return r;
}
