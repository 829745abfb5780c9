// Roving focus inside a wrapped grid of cells (the topology grid is one tab stop; arrow keys move
// inside it). Left/Right go to the previous/next cell in reading order, Up/Down to the nearest
// cell of the visual row above/below (cells wrap, so rows are found from their boxes), Home/End
// to the first/last. Pure: takes the cells' boxes, answers an index.

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export type RovingKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End';

export function isRovingKey(key: string): key is RovingKey {
  return key === 'ArrowLeft' || key === 'ArrowRight' || key === 'ArrowUp' || key === 'ArrowDown' || key === 'Home' || key === 'End';
}

/** The index focus moves to from `from` (the same index at an edge). */
export function rovingTarget(boxes: readonly Box[], from: number, key: RovingKey): number {
  const n = boxes.length;
  if (n === 0) return -1;
  const i = Math.max(0, Math.min(n - 1, from));
  switch (key) {
    case 'ArrowLeft':
      return Math.max(0, i - 1);
    case 'ArrowRight':
      return Math.min(n - 1, i + 1);
    case 'Home':
      return 0;
    case 'End':
      return n - 1;
    default: {
      const b = boxes[i];
      if (b === undefined) return i;
      const cx = b.x + b.width / 2;
      const cy = b.y + b.height / 2;
      const up = key === 'ArrowUp';
      // The nearest row in that direction: the smallest vertical distance past half a cell.
      let rowDy = Infinity;
      boxes.forEach((o, j) => {
        const dy = (up ? cy - (o.y + o.height / 2) : o.y + o.height / 2 - cy);
        if (j !== i && dy > b.height / 2 && dy < rowDy) rowDy = dy;
      });
      if (rowDy === Infinity) return i;
      let best = i;
      let bestDx = Infinity;
      boxes.forEach((o, j) => {
        const dy = (up ? cy - (o.y + o.height / 2) : o.y + o.height / 2 - cy);
        if (Math.abs(dy - rowDy) > b.height / 2) return;
        const dx = Math.abs(o.x + o.width / 2 - cx);
        if (dx < bestDx) {
          best = j;
          bestDx = dx;
        }
      });
      return best;
    }
  }
}
