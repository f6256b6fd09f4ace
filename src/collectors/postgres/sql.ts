/**
 * SQL text building for presets. Table and column names come from the
 * config (teams name things differently), so they are always quoted as
 * identifiers; status values and thresholds are inlined as literals rather
 * than bound as parameters so the planner can match partial indexes
 * (`WHERE status = 'pending'` implies the index predicate, `= $1` does not).
 */

/** Quotes an identifier; `schema.table` is quoted part by part. */
export function ident(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

/** A standard-conforming string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function literalList(values: readonly string[]): string {
  return values.map(literal).join(', ');
}

/** `now() - <n> seconds`, for comparisons that an index on the column can serve. */
export function ago(seconds: number): string {
  if (!Number.isFinite(seconds)) throw new Error(`not a number of seconds: ${seconds}`);
  return `now() - interval '${seconds} seconds'`;
}

/** Seconds from a timestamp column (or expression) to now. */
export function ageSeconds(expr: string): string {
  return `extract(epoch from now() - ${expr})::float8`;
}
