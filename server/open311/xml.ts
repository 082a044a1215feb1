/**
 * GeoReport v2 XML: the spec's primary format. Each answer is a root element holding one element per item, each field
 * an element of its name (`<service_requests><request><service_request_id>…`); null fields are empty elements.
 * Text is escaped, so citizens' text stays text.
 */

/** A value of a field: text, number, boolean, null, a list of items or a nested item. */
export type XmlValue = string | number | boolean | null | readonly XmlItem[] | XmlItem;
/** An item: field name → value. */
export interface XmlItem {
  readonly [field: string]: XmlValue | undefined;
}

/** How a list field's items are named, by list name (`attributes` → `attribute`). */
const ITEM_NAMES: Readonly<Record<string, string>> = {
  attributes: 'attribute',
  values: 'value',
  endpoints: 'endpoint',
  formats: 'format',
};

/** Escapes text for element content; drops characters XML 1.0 cannot carry. */
export function escapeXml(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
  );
}

function field(name: string, v: XmlValue | undefined): string {
  if (v === undefined) return '';
  if (v === null) return `<${name}/>`;
  if (Array.isArray(v)) {
    const item = ITEM_NAMES[name] ?? 'item';
    return `<${name}>${(v as readonly XmlValue[]).map((x) => (typeof x === 'object' && x !== null ? `<${item}>${fields(x as XmlItem)}</${item}>` : field(item, x))).join('')}</${name}>`;
  }
  if (typeof v === 'object') return `<${name}>${fields(v as XmlItem)}</${name}>`;
  return `<${name}>${escapeXml(String(v))}</${name}>`;
}

function fields(item: XmlItem): string {
  return Object.entries(item)
    .map(([k, v]) => field(k, v))
    .join('');
}

/** A document: `<root><item>…</item>…</root>` for a list, `<root>…fields…</root>` for one item. */
export function toXml(root: string, body: readonly XmlItem[] | XmlItem, itemName?: string): string {
  const inner = Array.isArray(body)
    ? (body as readonly XmlItem[]).map((x) => `<${itemName ?? 'item'}>${fields(x)}</${itemName ?? 'item'}>`).join('')
    : fields(body as XmlItem);
  return `<?xml version="1.0" encoding="utf-8"?>\n<${root}>${inner}</${root}>\n`;
}
