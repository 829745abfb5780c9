// Which rows of the fleet grid to render: those on screen plus a screen's worth around them.
// Pure: the page measures, this decides.

export interface RowWindow {
  readonly cols: number;
  readonly first: number; // first row to render
  readonly last: number; // last row to render (inclusive)
}

export interface GridBox {
  readonly width: number; // px of the grid
  readonly top: number; // px from the viewport's top to the grid's top (negative once scrolled past)
  readonly viewport: number; // px of the viewport's height
  readonly minTileWidth: number;
  readonly tileHeight: number;
  readonly gap: number;
}

export function fleetRows(g: GridBox): RowWindow {
  const cols = Math.max(1, Math.floor((g.width + g.gap) / (g.minTileWidth + g.gap)));
  const pitch = g.tileHeight + g.gap;
  const overscan = Math.max(1, Math.ceil(g.viewport / pitch));
  const firstOnScreen = Math.floor(Math.max(0, -g.top) / pitch);
  const lastOnScreen = Math.floor(Math.max(0, g.viewport - g.top) / pitch);
  return { cols, first: Math.max(0, firstOnScreen - overscan), last: lastOnScreen + overscan };
}
