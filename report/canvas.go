package report

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi is the figures' resolution: high enough that text stays sharp when a
// browser scales a figure to the page width, low enough to keep the
// self-contained HTML a few megabytes.
const dpi = 144

// figureWidth is every figure's width, so that figures line up one above
// the other in the report.
const figureWidth = 9 * vg.Inch

// textStyle is the style of plot text of the given size in points.
func textStyle(size float64) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, vg.Points(size)),
		Handler: plot.DefaultTextHandler,
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
	}
}

// newPlot is a plot with the report's title and axis text sizes; the
// alignments stay gonum's, which rotate the vertical axis's label itself.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(12)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Label.TextStyle.Font.Size = vg.Points(10.5)
	p.Y.Label.TextStyle.Font.Size = vg.Points(10.5)
	p.X.Tick.Label.Font.Size = vg.Points(9.5)
	p.Y.Tick.Label.Font.Size = vg.Points(9.5)
	p.Legend.TextStyle.Font.Size = vg.Points(9.5)
	p.BackgroundColor = color.Transparent
	return p
}

// panels lays out rows of plots (nil leaves a cell empty) with aligned data
// areas under an optional legend strip of legendHeight, and returns the
// PNG. drawLegend, when not nil, draws into that strip.
func panels(rows [][]*plot.Plot, height, legendHeight vg.Length, drawLegend func(draw.Canvas)) ([]byte, error) {
	img := vgimg.NewWith(vgimg.UseWH(figureWidth, height), vgimg.UseDPI(dpi),
		vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	body := dc
	if legendHeight > 0 {
		body = draw.Crop(dc, 0, 0, 0, -legendHeight)
		strip := draw.Crop(dc, 0, 0, height-legendHeight, 0)
		if drawLegend != nil {
			drawLegend(strip)
		}
	}
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	grid := make([][]*plot.Plot, len(rows))
	for i, r := range rows {
		grid[i] = make([]*plot.Plot, cols)
		copy(grid[i], r)
	}
	tiles := draw.Tiles{Rows: len(rows), Cols: cols,
		PadX: vg.Points(14), PadY: vg.Points(14),
		PadLeft: vg.Points(6), PadRight: vg.Points(10), PadTop: vg.Points(6), PadBottom: vg.Points(6)}
	canvases := plot.Align(grid, tiles, body)
	for i, r := range grid {
		for j, p := range r {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode figure: %w", err)
	}
	return buf.Bytes(), nil
}

// legendRow draws legend entries side by side in centred rows across c:
// one legend for every panel of a figure.
func legendRow(c draw.Canvas, entries []legendEntry) {
	sty := legendTextStyle()
	lines, widths := legendLines(entries)
	lineH := sty.Height("Xg") * 1.6
	y := c.Max.Y - lineH/2 - vg.Points(4)
	for _, line := range lines {
		var w vg.Length
		for _, i := range line {
			w += widths[i]
		}
		x := c.Min.X + (c.Max.X-c.Min.X-w+legendGap)/2
		for _, i := range line {
			icon := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: y - lineH/3},
				Max: vg.Point{X: x + legendThumb, Y: y + lineH/3},
			}}
			for _, t := range entries[i].thumbs {
				t.Thumbnail(&icon)
			}
			c.FillText(sty, vg.Point{X: x + legendThumb + vg.Points(4), Y: y}, entries[i].text)
			x += widths[i]
		}
		y -= lineH
	}
}

// legendEntry is one item of a shared legend: a text and the thumbnails
// that show its style.
type legendEntry struct {
	text   string
	thumbs []plot.Thumbnailer
}

// legendThumb and legendGap are a shared legend's thumbnail width and the
// space between entries (vg.Length is in points).
const (
	legendThumb vg.Length = 22
	legendGap   vg.Length = 16
)

// legendTextStyle is the style of a shared legend's texts.
func legendTextStyle() text.Style {
	sty := textStyle(10)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	return sty
}

// legendLines breaks entries greedily into rows that fit the figure's
// width and returns the rows (entry indices) and each entry's width.
func legendLines(entries []legendEntry) (lines [][]int, widths []vg.Length) {
	sty := legendTextStyle()
	widths = make([]vg.Length, len(entries))
	for i, e := range entries {
		widths[i] = legendThumb + vg.Points(4) + sty.Width(e.text) + legendGap
	}
	avail := figureWidth - vg.Points(20)
	var cur []int
	var curW vg.Length
	for i, w := range widths {
		if len(cur) > 0 && curW+w > avail {
			lines = append(lines, cur)
			cur, curW = nil, 0
		}
		cur = append(cur, i)
		curW += w
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	return lines, widths
}

// legendHeight is the height of the strip legendRow needs for entries.
func legendHeight(entries []legendEntry) vg.Length {
	lines, _ := legendLines(entries)
	return vg.Length(len(lines))*legendTextStyle().Height("Xg")*1.6 + vg.Points(10)
}

// swatch is a legend thumbnail filled with one colour.
type swatch struct{ colour color.Color }

// Thumbnail fills c's rectangle.
func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(s.colour, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}
