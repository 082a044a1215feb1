/** The client build's id (package version + build time), set by vite.config.ts; absent when not built by Vite. */
declare const __CITYOPS_BUILD__: string | undefined;
