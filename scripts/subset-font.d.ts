/** The one call of subset-font (it ships no types): a font file reduced to the given characters. */
declare module 'subset-font' {
  export default function subsetFont(
    font: Buffer,
    text: string,
    options?: { targetFormat?: 'sfnt' | 'woff' | 'woff2'; preserveNameIds?: readonly number[] },
  ): Promise<Buffer>;
}
