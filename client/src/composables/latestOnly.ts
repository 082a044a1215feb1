/** A page's loads, of which only the newest may show its answer. */

/**
 * Returns `begin`: each load calls it first and gets `current`, which stays true until another load begins. A slow
 * answer to an older load (another case, another month) is dropped instead of showing under the newer address.
 */
export function latestOnly(): () => () => boolean {
  let seq = 0;
  return () => {
    const mine = ++seq;
    return () => mine === seq;
  };
}
