/**
 * JSON -> YAML for showing a policy document the way people write it. Policies are plain data (objects,
 * arrays, strings, numbers, booleans), so a small emitter does; bundling a YAML library would cost ~30 KB.
 */

/**
 * The order to write an object's keys in: `keys` first, in that order, then any other key as stored;
 * `children` for the value under a key, `items` for each element of an array.
 */
export interface KeyOrder {
  readonly keys: readonly string[];
  readonly children?: Readonly<Record<string, KeyOrder>>;
  readonly items?: KeyOrder;
}

export function toYaml(value: unknown, order?: KeyOrder): string {
  return emit(value, 0, order).replace(/^\n/, '');
}

function emit(value: unknown, indent: number, order: KeyOrder | undefined): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []';
    return value
      .map((item) => {
        const inner = emit(item, indent + 2, order?.items);
        return `\n${pad}-${isBlock(item) ? inner.replace(/^\n\s*/, ' ') : inner}`;
      })
      .join('');
  }
  if (value !== null && typeof value === 'object') {
    const entries = ordered(Object.entries(value as Record<string, unknown>), order);
    if (entries.length === 0) return ' {}';
    return entries.map(([key, item]) => `\n${pad}${scalarKey(key)}:${emit(item, indent + 2, order?.children?.[key])}`).join('');
  }
  if (typeof value === 'string' && value.includes('\n')) {
    const body = value.replace(/\n$/, '').split('\n').map((line) => `${pad}${line}`).join('\n');
    return ` |${value.endsWith('\n') ? '' : '-'}\n${body}`;
  }
  return ` ${scalar(value)}`;
}

function ordered(entries: [string, unknown][], order: KeyOrder | undefined): [string, unknown][] {
  if (!order) return entries;
  const rank = (key: string) => {
    const i = order.keys.indexOf(key);
    return i === -1 ? order.keys.length : i;
  };
  // Array.prototype.sort is stable: keys the order does not name keep their stored order, after the named ones.
  return [...entries].sort(([a], [b]) => rank(a) - rank(b));
}

function isBlock(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0);
}

function scalarKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) ? key : JSON.stringify(key);
}

function scalar(value: unknown): string {
  if (typeof value === 'string') {
    const plain = /^[A-Za-z0-9_./%{}() =~"<>*+-]*$/.test(value) && !/^[-?:,[\]{}#&*!|>'"%@`]|^(true|false|null|yes|no|~)$|^[0-9.+-]+$|: | #|^$/i.test(value);
    return plain ? value : JSON.stringify(value);
  }
  return JSON.stringify(value);
}
