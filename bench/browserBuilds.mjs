/**
 * Loaded with `--import` by the benchmarks' wall clients: Socket.IO's client packages resolve without Node's `node`
 * condition, so the clients run the production builds a browser's bundle carries (`build/esm`), not the debug builds
 * the packages hand to Node (`build/esm-debug`, with their `debug` calls). Only those three packages are affected.
 */
import { register } from 'node:module';

register('./browserBuilds.hooks.mjs', import.meta.url);
