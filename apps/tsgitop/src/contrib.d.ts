/**
 * The two pieces of blessed-contrib tsgitop uses, imported by path: the package's index
 * loads every widget (maps, pictures, markdown) and costs a third of a second at start.
 * Only what layout.ts calls is declared.
 */
declare module 'blessed-contrib/lib/layout/grid.js' {
  import type { Widgets } from 'blessed';

  interface GridOptions {
    screen: Widgets.Screen;
    rows: number;
    cols: number;
    hideBorder?: boolean;
  }

  /** Places widgets by grid cell; `set` creates the widget with `factory(options)` and appends it to the screen. */
  class Grid {
    constructor(options: GridOptions);
    set<W extends Widgets.BlessedElement, O extends object>(
      row: number,
      col: number,
      rowSpan: number,
      colSpan: number,
      factory: (options: O) => W,
      options: O,
    ): W;
  }
  export = Grid;
}

declare module 'blessed-contrib/lib/widget/charts/line.js' {
  import type { Widgets } from 'blessed';

  interface LineSeries {
    title: string;
    x: string[];
    y: number[];
    style?: { line?: string };
  }

  interface LineOptions extends Widgets.BoxOptions {
    showLegend?: boolean;
    minY?: number;
    maxY?: number;
    wholeNumbersOnly?: boolean;
    numYLabels?: number;
    xLabelPadding?: number;
    xPadding?: number;
    style?: Widgets.Types.TStyle & { line?: string; text?: string; baseline?: string };
  }

  interface LineElement extends Widgets.BoxElement {
    /** The options the chart reads on every `setData`; `maxY` may be changed between calls. */
    options: LineOptions;
    setData(series: LineSeries[]): void;
  }

  function line(options: LineOptions): LineElement;
  export = line;
}
