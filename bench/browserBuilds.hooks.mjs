/** The resolve hook `browserBuilds.mjs` registers (module hooks run on a loader thread of their own). */
const CLIENT_PACKAGES = new Set(['socket.io-client', 'engine.io-client', 'socket.io-parser']);

export async function resolve(specifier, context, nextResolve) {
  if (!CLIENT_PACKAGES.has(specifier)) return nextResolve(specifier, context);
  return nextResolve(specifier, { ...context, conditions: context.conditions.filter((c) => c !== 'node') });
}
