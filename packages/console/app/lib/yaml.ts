/**
 * JSON -> YAML for showing a policy document the way people write it. Policies are plain data (objects,
 * arrays, strings, numbers, booleans), so a small emitter does; bundling a YAML library would cost ~30 KB.
 */

export function toYaml(value: unknown, indent = 0): string {
  return emit(value, indent).replace(/^\n/, '');
}

function emit(value: unknown, indent: number): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []';
    return value
      .map((item) => {
        const inner = emit(item, indent + 2);
        return `\n${pad}-${isBlock(item) ? inner.replace(/^\n\s*/, ' ') : inner}`;
      })
      .join('');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return ' {}';
    return entries.map(([key, item]) => `\n${pad}${scalarKey(key)}:${emit(item, indent + 2)}`).join('');
  }
  if (typeof value === 'string' && value.includes('\n')) {
    const body = value.replace(/\n$/, '').split('\n').map((line) => `${pad}${line}`).join('\n');
    return ` |${value.endsWith('\n') ? '' : '-'}\n${body}`;
  }
  return ` ${scalar(value)}`;
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
