package data

import "math"

// The ten shape classes of the shapes set, as signed distance functions in
// the shape's own frame: the point (x, y) (y pointing down, as in images),
// in units of the shape's radius, so every shape fits in the unit disk. The
// distance is negative inside; rendering turns it into pixel coverage
// (anti-aliased image) and a thresholded mask. The silhouettes were chosen to
// stay distinct at 32x32 under the set's rotation range (±25°): no two are
// rotations of each other, and each has its own outline feature (corners,
// points, a hole, a notch, a stem).

// shapeSDF is one shape's signed distance function.
type shapeSDF func(x, y float32) float32

var shapeSDFs = [10]shapeSDF{
	sdCircle, sdSquare, sdTriangle, sdStar, sdCross,
	sdHeart, sdHexagon, sdCrescent, sdArrow, sdRing,
}

func length(x, y float32) float32 { return float32(math.Sqrt(float64(x*x + y*y))) }

func sdCircle(x, y float32) float32 { return length(x, y) - 0.85 }

// sdBox is the distance to an axis-aligned box of half-sizes (a, b): exact
// inside, and outside exact along the sides (corners stay sharp, which is
// what the pixel coverage of a polygon needs).
func sdBox(x, y, a, b float32) float32 {
	return max(abs32(x)-a, abs32(y)-b)
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

func sdSquare(x, y float32) float32 { return sdBox(x, y, 0.68, 0.68) }

// halfPlane is the edge of a convex polygon: the signed distance of a point
// to the edge's line is nx*x + ny*y - d (positive outside).
type halfPlane struct{ nx, ny, d float32 }

// convex is a convex polygon as the intersection of its edges' half-planes.
type convex []halfPlane

// polygon builds the half-planes of a convex polygon from its vertices in
// order (either direction).
func polygon(pts ...[2]float32) convex {
	c := make(convex, len(pts))
	for i, p := range pts {
		q := pts[(i+1)%len(pts)]
		ex, ey := q[0]-p[0], q[1]-p[1]
		l := length(ex, ey)
		nx, ny := -ey/l, ex/l
		c[i] = halfPlane{nx, ny, nx*p[0] + ny*p[1]}
	}
	// Orient the normals outwards whichever way the points were listed:
	// the centroid must be inside.
	var cx, cy float32
	for _, p := range pts {
		cx += p[0] / float32(len(pts))
		cy += p[1] / float32(len(pts))
	}
	if c[0].nx*cx+c[0].ny*cy-c[0].d > 0 {
		for i := range c {
			c[i] = halfPlane{-c[i].nx, -c[i].ny, -c[i].d}
		}
	}
	return c
}

func (c convex) sd(x, y float32) float32 {
	d := float32(-math.MaxFloat32)
	for _, h := range c {
		d = max(d, h.nx*x+h.ny*y-h.d)
	}
	return d
}

func regular(n int, r, phase float64) convex {
	pts := make([][2]float32, n)
	for i := range pts {
		a := phase + 2*math.Pi*float64(i)/float64(n)
		pts[i] = [2]float32{float32(r * math.Cos(a)), float32(r * math.Sin(a))}
	}
	return polygon(pts...)
}

var (
	// An equilateral triangle pointing up, centred on its centroid.
	triangle = regular(3, 1, -math.Pi/2)
	// A flat-topped hexagon, large enough that its corners and flat sides
	// are visible next to the circle.
	hexagon = regular(6, 0.95, 0)
	// The heart's body: from the tip, the two lines tangent to the lobes
	// (disks of radius 0.47 at (±0.43, -0.33)), so the outline has no kink
	// where lobe meets point, closed by radii of the lobes through the notch
	// where the lobes cross (0, -0.5197). Every edge inside the heart is
	// thus deep inside a lobe, and the union draws no seam.
	heartTip = polygon([2]float32{0, 0.92}, [2]float32{0.791, -0.029}, [2]float32{0.43, -0.33},
		[2]float32{0, -0.5197}, [2]float32{-0.43, -0.33}, [2]float32{-0.791, -0.029})
	// The arrow's head, pointing right.
	arrowHead = polygon([2]float32{0.05, -0.62}, [2]float32{0.95, 0}, [2]float32{0.05, 0.62})
)

func sdTriangle(x, y float32) float32 { return triangle.sd(x, y) }

func sdHexagon(x, y float32) float32 { return hexagon.sd(x, y) }

// starTips are the unit vectors of the star's five tips, the first
// pointing up (y is down in images).
var starTips = func() (t [5][2]float32) {
	for i := range t {
		a := -math.Pi/2 + 2*math.Pi*float64(i)/5
		t[i] = [2]float32{float32(math.Cos(a)), float32(math.Sin(a))}
	}
	return t
}()

// sdStar is a five-pointed star, outer radius 1 and inner radius 0.45
// (thick arms at 32x32), pointing up. By symmetry the point is turned into
// the frame of its nearest tip (the tip with the largest dot product) and
// mirrored onto one side of it, where the outline is one segment, from the
// tip (1, 0) to the inner vertex 36° away; the distance to it is exact.
// (A union of convex pieces would put a zero distance on the pieces'
// shared edges and draw half-covered seams through the star.)
func sdStar(x, y float32) float32 {
	best, bestDot := 0, float32(-math.MaxFloat32)
	for i, t := range starTips {
		if d := x*t[0] + y*t[1]; d > bestDot {
			best, bestDot = i, d
		}
	}
	t := starTips[best]
	px, py := bestDot, abs32(-x*t[1]+y*t[0])
	// Segment from the tip (1, 0) to the inner vertex (b).
	ex, ey := starInner[0]-1, starInner[1]
	h := clamp01(((px-1)*ex + py*ey) / (ex*ex + ey*ey))
	d := length(px-1-h*ex, py-h*ey)
	// Inside if on the origin's side of the tip-to-inner-vertex line.
	if (px-1)*ey-py*ex < 0 {
		return -d
	}
	return d
}

// starInner is the inner vertex next to the tip (1, 0).
var starInner = [2]float32{float32(0.45 * math.Cos(math.Pi/5)), float32(0.45 * math.Sin(math.Pi/5))}

func sdCross(x, y float32) float32 {
	return min(sdBox(x, y, 0.9, 0.3), sdBox(x, y, 0.3, 0.9))
}

func sdHeart(x, y float32) float32 {
	l := length(x+0.43, y+0.33) - 0.47
	r := length(x-0.43, y+0.33) - 0.47
	return min(l, r, heartTip.sd(x, y))
}

// sdCrescent is a disk minus a shifted disk (a waxing moon).
func sdCrescent(x, y float32) float32 {
	return max(length(x, y)-0.92, -(length(x-0.42, y-0.05) - 0.7))
}

func sdArrow(x, y float32) float32 {
	// The shaft reaches well into the head so their union has no seam.
	shaft := sdBox(x+0.2, y, 0.7, 0.22)
	return min(shaft, arrowHead.sd(x, y))
}

// sdRing is an annulus from radius 0.42 to 0.9; its hole (about a quarter
// of the image width at the smallest scale) shows the background.
func sdRing(x, y float32) float32 { return abs32(length(x, y)-0.66) - 0.24 }
