/** Markdown tables in the style biome formats them, so a benchmark's output pastes into bench/README.md. */

/** `numeric`: indexes of the columns aligned right. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: Iterable<number>,
): string {
  const right = new Set(numeric);
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((w, i) => (right.has(i) ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
