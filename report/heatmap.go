package report

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// cellGrid is a plot.Plotter that draws a table of coloured cells with
// each cell's number written in it: row 0 at the top, column 0 at the
// left, cell (i, j) centred on x = j, y = rows-1-i. NaN marks a missing
// value, drawn as a light grey cell marked n/a.
type cellGrid struct {
	values [][]float64
	scale  colourScale
	// format writes a value into its cell.
	format func(float64) string
	// gapAfterCol, when >= 0, leaves a thin white gap after that column
	// (to set a reference column such as "clean" apart).
	gapAfterCol int
	fontSize    float64
	// outlined cells ({row, column}) get a frame in colourFrame.
	outlined map[[2]int]bool
}

// Plot draws the cells.
func (g *cellGrid) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	rows := len(g.values)
	sty := textStyle(g.fontSize)
	for i, row := range g.values {
		for j, v := range row {
			y := float64(rows - 1 - i)
			x0, x1 := trX(float64(j)-0.5), trX(float64(j)+0.5)
			y0, y1 := trY(y-0.5), trY(y+0.5)
			if j == g.gapAfterCol {
				x1 -= vg.Points(3)
			}
			fill := color.RGBA{0xEE, 0xEE, 0xEE, 0xFF}
			label := "n/a"
			if !math.IsNaN(v) {
				fill = g.scale.at(v)
				label = g.format(v)
			}
			c.FillPolygon(fill, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			c.StrokeLines(draw.LineStyle{Color: color.White, Width: vg.Points(1)},
				[]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})
			if g.outlined[[2]int{i, j}] {
				in := vg.Points(2)
				c.StrokeLines(draw.LineStyle{Color: colourFrame, Width: vg.Points(3)},
					[]vg.Point{{X: x0 + in, Y: y0 + in}, {X: x1 - in, Y: y0 + in}, {X: x1 - in, Y: y1 - in}, {X: x0 + in, Y: y1 - in}, {X: x0 + in, Y: y0 + in}})
			}
			sty.Color = inkOn(fill)
			c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, label)
		}
	}
}

// DataRange is the extent of the cells.
func (g *cellGrid) DataRange() (xmin, xmax, ymin, ymax float64) {
	cols := 0
	for _, r := range g.values {
		cols = max(cols, len(r))
	}
	return -0.5, float64(cols) - 0.5, -0.5, float64(len(g.values)) - 0.5
}

// newCellPlot is a plot holding g with rowNames down the left (first row
// at the top) and colNames along the bottom, without axis lines.
func newCellPlot(title string, g *cellGrid, rowNames, colNames []string) *plot.Plot {
	p := newPlot(title, "", "")
	p.Add(g)
	reversed := make([]string, len(rowNames))
	for i, n := range rowNames {
		reversed[len(rowNames)-1-i] = n
	}
	p.NominalY(reversed...)
	p.NominalX(colNames...)
	p.X.LineStyle.Width, p.Y.LineStyle.Width = 0, 0
	p.X.Tick.LineStyle.Width, p.Y.Tick.LineStyle.Width = 0, 0
	p.X.Padding, p.Y.Padding = 0, 0
	// Column names turn when they would not fit their columns' width.
	if float64(longest(colNames))*6 > 7*72/float64(max(len(colNames), 1)) {
		turnColumnNames(p)
	}
	return p
}

// turnColumnNames slants p's column names so that long names fit.
func turnColumnNames(p *plot.Plot) {
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YTop
}

// longest is the length in characters of the longest of names.
func longest(names []string) int {
	n := 0
	for _, s := range names {
		n = max(n, len([]rune(s)))
	}
	return n
}
