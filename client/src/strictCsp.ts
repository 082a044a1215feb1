/**
 * The pages run under a Content-Security-Policy without 'unsafe-eval'. Zod probes whether it may compile parsers with
 * `new Function` the first time it parses, which the browser reports as a CSP violation; jitless mode skips the probe
 * (parsing is the same, only not compiled). Imported first by `main.ts`, before any page parses.
 */
import { config } from 'zod';

config({ jitless: true });
