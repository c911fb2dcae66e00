package saliency

import (
	"fmt"
	"math"

	"github.com/robustlab/robustlab/tensor"
)

// MaskScore says where one map's mass lies, for an image whose object mask
// is known. The fractions are of the map's absolute mass, sum |m|, so that
// Object + Background = 1 and Band + Interior = Object; they are NaN for a
// map that is zero everywhere, and for a mask with no object or no
// background pixel.
type MaskScore struct {
	// Object is the fraction of the mass on the object, Background the
	// fraction off it.
	Object, Background float64
	// Band is the fraction on the object's boundary band (the shape cue),
	// Interior the fraction on the rest of the object (its texture).
	Band, Interior float64
	// OuterBand is the fraction on the background within the band's width
	// of the object: the outside of the outline, where half of a response
	// to the edge falls. Band + OuterBand is the mass on the outline.
	OuterBand float64
	// ObjectArea, BandArea and OuterBandArea are the fractions of the
	// image's pixels in the object, its band and its outer band: what a
	// uniform map would score, the chance levels to read the fractions
	// against.
	ObjectArea, BandArea, OuterBandArea float64
	// Pointing is 1 if the map's maximum of |m| is on the object, 0 if
	// not; where several pixels share the maximum, the fraction of them on
	// the object. It is NaN where the fractions are.
	Pointing float64
}

// MaskOptions configure MaskMetrics.
type MaskOptions struct {
	// BandWidth is the boundary band's width d in pixels (see BoundaryBand);
	// 0 means max(1, min(H,W)/16): 2 pixels at 32x32, 14 at 224x224.
	BandWidth int
}

// BandWidth returns the default band width for an image of h x w pixels.
func BandWidth(h, w int) int { return max(1, min(h, w)/16) }

// MaskMetrics scores maps [N,H,W] (aggregated; their absolute values are
// used) against object masks [N,1,H,W] or [N,H,W] (a pixel with mask value
// at least 1/2 is on the object), one MaskScore per image.
func MaskMetrics(maps, masks *tensor.Tensor, o MaskOptions) ([]MaskScore, error) {
	if maps == nil || maps.NDim() != 3 {
		return nil, fmt.Errorf("saliency: MaskMetrics needs maps [N H W], got %s", shapeOf(maps))
	}
	n, h, w := maps.Dim(0), maps.Dim(1), maps.Dim(2)
	if masks == nil || !(masks.NDim() == 4 && masks.Dim(1) == 1 || masks.NDim() == 3) || masks.Len() != n*h*w || masks.Dim(0) != n || masks.Dim(-1) != w {
		return nil, fmt.Errorf("saliency: masks have shape %s, want [%d 1 %d %d] to match maps %s", shapeOf(masks), n, h, w, shapeOf(maps))
	}
	d := o.BandWidth
	if d <= 0 {
		d = BandWidth(h, w)
	}
	hw := h * w
	out := make([]MaskScore, n)
	for i := range out {
		m, mask := maps.Data()[i*hw:(i+1)*hw], masks.Data()[i*hw:(i+1)*hw]
		obj := make([]bool, hw)
		for p, v := range mask {
			obj[p] = v >= 0.5
		}
		band := BoundaryBand(obj, h, w, d)
		bg := make([]bool, hw)
		for p, o := range obj {
			bg[p] = !o
		}
		outer := BoundaryBand(bg, h, w, d)
		var total, onObj, onBand, onOuter float64
		var nObj, nBand, nOuter int
		peak := math.Inf(-1)
		for p, v := range m {
			a := math.Abs(float64(v))
			total += a
			if obj[p] {
				onObj += a
				nObj++
			}
			if band[p] {
				onBand += a
				nBand++
			}
			if outer[p] {
				onOuter += a
				nOuter++
			}
			peak = max(peak, a)
		}
		s := MaskScore{ObjectArea: float64(nObj) / float64(hw), BandArea: float64(nBand) / float64(hw), OuterBandArea: float64(nOuter) / float64(hw)}
		// A mask without object or without background has nothing to
		// tell the map's mass apart by: its shares would be 0 or 1 by
		// construction, not by the map.
		if total > 0 && nObj > 0 && nObj < hw {
			s.Object = onObj / total
			s.Background = (total - onObj) / total
			s.Band = onBand / total
			s.Interior = (onObj - onBand) / total
			s.OuterBand = onOuter / total
			var ties, hits int
			for p, v := range m {
				if math.Abs(float64(v)) == peak {
					ties++
					if obj[p] {
						hits++
					}
				}
			}
			s.Pointing = float64(hits) / float64(ties)
		} else {
			s.Object, s.Background, s.Band, s.Interior, s.OuterBand, s.Pointing = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		}
		out[i] = s
	}
	return out, nil
}

// BoundaryBand returns the object's boundary band: the object pixels that
// have a background pixel within d pixels in both directions, that is in
// the (2d+1) x (2d+1) square around them, so that the band is the object
// minus its erosion by that square. The image's frame is not an edge: a
// shape cut by the border has no band along it (nothing beyond the frame
// is background). obj holds h*w pixels, true on the object. With obj
// inverted, it gives the outer band: the background near the object.
//
// The band carries the shape's outline (what a silhouette keeps); the
// interior the rest of the object, its texture. It is computed in O(h*w)
// with running counts: first, for each pixel, whether a background pixel
// lies within d along its row; then within d along the column of those.
func BoundaryBand(obj []bool, h, w, d int) []bool {
	// near[p]: some background pixel within d of p along the row.
	near := make([]bool, h*w)
	for y := 0; y < h; y++ {
		row := obj[y*w : (y+1)*w]
		count := 0 // background pixels in the window [x-d, x+d] ∩ [0, w)
		for x := 0; x < min(d, w); x++ {
			if !row[x] {
				count++
			}
		}
		for x := 0; x < w; x++ {
			if x+d < w && !row[x+d] {
				count++
			}
			if x-d-1 >= 0 && !row[x-d-1] {
				count--
			}
			near[y*w+x] = count > 0
		}
	}
	band := make([]bool, h*w)
	for x := 0; x < w; x++ {
		count := 0
		for y := 0; y < min(d, h); y++ {
			if near[y*w+x] {
				count++
			}
		}
		for y := 0; y < h; y++ {
			if y+d < h && near[(y+d)*w+x] {
				count++
			}
			if y-d-1 >= 0 && near[(y-d-1)*w+x] {
				count--
			}
			band[y*w+x] = obj[y*w+x] && count > 0
		}
	}
	return band
}

// MaskSummary is the mean of MaskScores over images, each field over the
// images where it is defined (maps that are not all zero).
type MaskSummary struct {
	Object, Background, Band, Interior, OuterBand Stat
	ObjectArea, BandArea, OuterBandArea           Stat
	Pointing                                      Stat
}

// SummarizeMask summarizes per-image scores.
func SummarizeMask(s []MaskScore) MaskSummary {
	col := func(f func(MaskScore) float64) Stat {
		v := make([]float64, len(s))
		for i := range s {
			v[i] = f(s[i])
		}
		return Summarize(v)
	}
	return MaskSummary{
		Object:        col(func(m MaskScore) float64 { return m.Object }),
		Background:    col(func(m MaskScore) float64 { return m.Background }),
		Band:          col(func(m MaskScore) float64 { return m.Band }),
		Interior:      col(func(m MaskScore) float64 { return m.Interior }),
		OuterBand:     col(func(m MaskScore) float64 { return m.OuterBand }),
		ObjectArea:    col(func(m MaskScore) float64 { return m.ObjectArea }),
		BandArea:      col(func(m MaskScore) float64 { return m.BandArea }),
		OuterBandArea: col(func(m MaskScore) float64 { return m.OuterBandArea }),
		Pointing:      col(func(m MaskScore) float64 { return m.Pointing }),
	}
}
