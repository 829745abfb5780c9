// The wall's grid: columns and rows that fit n tiles into w x h px with tiles of about the
// screen's aspect ratio, so that any number of hosts fills the screen without scrolling.
export function wallGrid(n: number, w: number, h: number): { cols: number; rows: number } {
  if (n <= 0 || w <= 0 || h <= 0) return { cols: 1, rows: 1 };
  const cols = Math.max(1, Math.min(n, Math.ceil(Math.sqrt((n * w) / h))));
  return { cols, rows: Math.ceil(n / cols) };
}

