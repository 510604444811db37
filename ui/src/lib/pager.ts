// Pagination of 10-row lists. Lists come from the backend one page at a time with `has_more`
// (no total: counting 100,000 rows costs more than showing 10); when a total is known (the
// dashboard's unseen counts, a list held in memory) the pager also shows "1-10 sur 11" and
// page numbers, as in the manual.

/** Rows per page on every list, as in the manual. */
export const PAGE_SIZE = 10;

/** What the pager shows and allows. */
export interface PagerView {
  /** "1-10 sur 11", "11-20", or "Aucun résultat". */
  label: string;
  /** Current page, 1-based. */
  page: number;
  /** Last page when the total is known. */
  lastPage: number | null;
  /** Page numbers to offer (a window around the current page). */
  pages: number[];
  /** "Début" and "Préc." enabled. */
  canPrev: boolean;
  /** "Suiv." enabled. */
  canNext: boolean;
  /** "Fin" enabled (needs a known total). */
  canLast: boolean;
}

/**
 * The pager for a page starting at `offset` that shows `shown` rows; `total` when known,
 * else `hasMore` says whether another page follows.
 */
export function pagerView(
  offset: number,
  shown: number,
  opts: { total?: number | null; hasMore?: boolean; pageSize?: number } = {},
): PagerView {
  const size = opts.pageSize ?? PAGE_SIZE;
  const page = Math.floor(offset / size) + 1;
  const total = opts.total ?? null;
  const lastPage = total === null ? null : Math.max(1, Math.ceil(total / size));
  const canNext = total === null ? Boolean(opts.hasMore) : page < (lastPage ?? 1);
  let label: string;
  if (shown === 0 && offset === 0) label = "Aucun résultat";
  else if (total !== null) label = `${number(offset + 1)}-${number(offset + shown)} sur ${number(total)}`;
  else label = `${number(offset + 1)}-${number(offset + shown)}`;
  const last = lastPage ?? (canNext ? page + 1 : page);
  const from = Math.max(1, Math.min(page - 2, last - 4));
  const to = Math.min(last, from + 4);
  const pages: number[] = [];
  for (let p = from; p <= to; p++) pages.push(p);
  return { label, page, lastPage, pages, canPrev: page > 1, canNext, canLast: lastPage !== null && page < lastPage };
}

const grouping = new Intl.NumberFormat("fr-FR");

/** A count as French readers write it: "33 334" (narrow no-break space between thousands). */
export function number(n: number): string {
  return grouping.format(n);
}

/** Offset of a 1-based page. */
export function offsetOf(page: number, pageSize = PAGE_SIZE): number {
  return Math.max(0, (page - 1) * pageSize);
}

/** Case- and accent-insensitive form for filtering. */
export function fold(s: string): string {
  return s.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
}

/** Rows of an in-memory list whose given fields contain the filter (case and accents ignored). */
export function filterRows<T>(rows: readonly T[], filter: string, fields: (row: T) => string[]): T[] {
  const f = fold(filter.trim());
  if (f === "") return [...rows];
  return rows.filter((r) => fields(r).some((v) => fold(v).includes(f)));
}
