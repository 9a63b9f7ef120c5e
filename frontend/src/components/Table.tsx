import type { ComponentChildren } from "preact";

export type Column<T> = { header: ComponentChildren; cell: (row: T) => ComponentChildren; title?: string };

/** A table of rows, one column per {header, cell}; the first column is left-aligned. */
export function Table<T>({ id, columns, rows, rowKey, empty }: {
  id?: string; columns: Column<T>[]; rows: T[]; rowKey: (row: T, index: number) => string | number;
  empty?: ComponentChildren;
}) {
  if (rows.length === 0 && empty) return <p class="empty">{empty}</p>;
  return (
    <table id={id}>
      <thead>
        <tr>{columns.map((c, i) => <th key={i} title={c.title}>{c.header}</th>)}</tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={rowKey(row, index)}>{columns.map((c, i) => <td key={i}>{c.cell(row)}</td>)}</tr>
        ))}
      </tbody>
    </table>
  );
}
