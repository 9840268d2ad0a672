import { readFileSync } from 'node:fs';
import { type DefaultTreeAdapterMap, parse } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];
/** An element of a parsed report. */
export type Element = DefaultTreeAdapterMap['element'];

/** Parse a report strictly: any HTML parse error fails the test. */
export function parseReport(path: string): { root: Element[]; html: string } {
  const html = readFileSync(path, 'utf8');
  const errors: string[] = [];
  const document = parse(html, { onParseError: (error) => errors.push(`${error.code} at line ${error.startLine}`) });
  if (errors.length > 0) throw new Error(`the report is not well-formed HTML: ${errors.join(', ')}`);
  return { root: descendants(document as unknown as Node), html };
}

/** Every element under `node`, in document order. */
export function descendants(node: Node): Element[] {
  const out: Element[] = [];
  const walk = (n: Node): void => {
    const children = 'childNodes' in n ? n.childNodes : [];
    for (const child of children) {
      if ('tagName' in child) out.push(child);
      walk(child);
    }
    // <template> content is not used by reports, so it is not walked.
  };
  walk(node);
  return out;
}

export function attr(element: Element, name: string): string | undefined {
  return element.attrs.find((a) => a.name === name)?.value;
}

export function hasClass(element: Element, name: string): boolean {
  return (attr(element, 'class') ?? '').split(/\s+/).includes(name);
}

/** Elements with class `name` among `elements`. */
export function byClass(elements: readonly Element[], name: string): Element[] {
  return elements.filter((e) => hasClass(e, name));
}

/** The `<path>` marks Vega drew in the layer named `layer` (its group has class `<layer>_marks`). */
export function marksOf(within: Element, layer: string): Element[] {
  const groups = byClass(descendants(within), `${layer}_marks`);
  return groups.flatMap((g) => g.childNodes.filter((c): c is Element => 'tagName' in c && c.tagName === 'path'));
}

/**
 * What would make a browser fetch something: an attribute that loads a resource, or CSS/JS that does.
 * The SVG namespace URIs (`xmlns`) name a namespace and are never fetched.
 */
export function networkReferences(elements: readonly Element[]): string[] {
  const loading = new Set(['src', 'href', 'xlink:href', 'srcset', 'action', 'formaction', 'poster', 'data', 'background']);
  const found: string[] = [];
  for (const element of elements) {
    for (const a of element.attrs) {
      if (loading.has(a.name)) found.push(`<${element.tagName} ${a.name}="${a.value}">`);
      if (/url\(\s*['"]?[a-z]+:/i.test(a.value)) found.push(`<${element.tagName} ${a.name}="${a.value}">`);
    }
    if (element.tagName === 'link' || element.tagName === 'iframe' || element.tagName === 'img')
      found.push(`<${element.tagName}>`);
    if (element.tagName === 'style' || element.tagName === 'script') {
      const text = element.childNodes.map((c) => ('value' in c ? c.value : '')).join('');
      for (const pattern of [
        /url\s*\(/i,
        /@import/i,
        /fetch\s*\(/,
        /XMLHttpRequest/,
        /import\s*\(/,
        /https?:\/\/(?!www\.w3\.org\/2000\/svg)/,
      ]) {
        if (pattern.test(text)) found.push(`${element.tagName} matches ${pattern}`);
      }
    }
  }
  return found;
}
