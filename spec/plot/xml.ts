/**
 * A strict little XML parser for tests: enough of XML 1.0 to check that generated SVG is well
 * formed (matching tags, quoted and unique attributes, known entities, nothing after the root)
 * and to query the tree. Throws with the offset of the first problem.
 */

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated text directly inside this element. */
  readonly text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string, at: number): string {
  return s.replace(/&([^;]*);|&/g, (m, name: string | undefined) => {
    if (name === undefined) throw new Error(`bare '&' near offset ${at}`);
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const e = ENTITIES[name];
    if (e === undefined) throw new Error(`unknown entity ${m} near offset ${at}`);
    return e;
  });
}

export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`${msg} at offset ${i}: ${JSON.stringify(text.slice(i, i + 30))}`);
  };
  const skipMisc = (): void => {
    for (;;) {
      while (/\s/.test(text[i] ?? '')) i++;
      if (text.startsWith('<?', i)) i = text.indexOf('?>', i) + 2;
      else if (text.startsWith('<!--', i)) i = text.indexOf('-->', i) + 3;
      else return;
      if (i < 2) fail('unterminated declaration or comment');
    }
  };
  const name = (): string => {
    const m = /^[A-Za-z_:][\w:.-]*/.exec(text.slice(i, i + 100));
    if (m === null) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const element = (): XmlElement => {
    if (text[i] !== '<') fail("expected '<'");
    i++;
    const tag = name();
    const attrs: Record<string, string> = {};
    for (;;) {
      const ws = /^\s*/.exec(text.slice(i))?.[0].length ?? 0;
      i += ws;
      if (text.startsWith('/>', i)) {
        i += 2;
        return { name: tag, attrs, children: [], text: '' };
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (ws === 0) fail('expected whitespace before an attribute');
      const key = name();
      if (Object.hasOwn(attrs, key)) fail(`duplicate attribute ${key}`);
      if (text[i] !== '=') fail("expected '='");
      i++;
      const q = text[i];
      if (q !== '"' && q !== "'") return fail('expected a quoted attribute value');
      const end = text.indexOf(q, i + 1);
      if (end < 0) fail('unterminated attribute value');
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) fail("'<' in an attribute value");
      attrs[key] = decodeEntities(raw, i);
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let content = '';
    for (;;) {
      if (i >= text.length) fail(`unclosed <${tag}>`);
      if (text.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== tag) fail(`</${closing}> closes <${tag}>`);
        while (/\s/.test(text[i] ?? '')) i++;
        if (text[i] !== '>') fail("expected '>'");
        i++;
        return { name: tag, attrs, children, text: content };
      }
      if (text.startsWith('<!--', i)) {
        i = text.indexOf('-->', i) + 3;
        continue;
      }
      if (text[i] === '<') {
        children.push(element());
        continue;
      }
      const next = text.indexOf('<', i);
      const chunk = text.slice(i, next < 0 ? text.length : next);
      if (chunk.includes('>') && chunk.includes(']]>')) fail("']]>' in text");
      content += decodeEntities(chunk, i);
      i += chunk.length;
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i < text.length) fail('text after the root element');
  return root;
}

/** Every element in document order (the root included). */
export function allElements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [root];
  for (const c of root.children) out.push(...allElements(c));
  return out;
}

/** Elements with this tag name (and, optionally, a class). */
export function elementsNamed(root: XmlElement, tag: string, cls?: string): XmlElement[] {
  return allElements(root).filter((e) => e.name === tag && (cls === undefined || (e.attrs['class'] ?? '').split(' ').includes(cls)));
}
