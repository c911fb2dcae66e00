package saliency_test

import (
	"context"
	"fmt"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/saliency"
	"github.com/robustlab/robustlab/tensor"
)

// Gradient maps of a (here untrained) ResNet-20 for two images, reduced to
// one value per pixel and drawn as the seed's grid: the images, then a row
// for the model.
func ExampleCompute() {
	model, _ := models.New("resnet20", models.Options{Seed: 1})
	images := tensor.RandU(tensor.NewRNG(2), 0, 1, 2, 3, 32, 32)
	maps, err := saliency.Compute(context.Background(), model, images, []int{3, 5}, saliency.Gradient, saliency.Options{})
	if err != nil {
		panic(err)
	}
	agg, _ := saliency.Aggregate(maps, saliency.AbsMax)
	grid, err := saliency.RenderGrid(images, []string{"cat", "dog"}, []saliency.Row{{Label: "resnet20", Maps: agg}}, saliency.RenderOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(maps.Shape(), agg.Shape(), grid.Bounds().Dx() > 2*96)
	// Output: [2 3 32 32] [2 32 32] true
}

// Where a map's mass lies on a 4x4 image whose object is the 2x2 centre.
func ExampleMaskMetrics() {
	maps := tensor.FromSlice([]float32{
		0, 0, 0, 0,
		0, 3, 1, 0,
		0, 0, 2, 0,
		4, 0, 0, 0,
	}, 1, 4, 4)
	masks := tensor.FromSlice([]float32{
		0, 0, 0, 0,
		0, 1, 1, 0,
		0, 1, 1, 0,
		0, 0, 0, 0,
	}, 1, 1, 4, 4)
	s, _ := saliency.MaskMetrics(maps, masks, saliency.MaskOptions{BandWidth: 1})
	fmt.Printf("object %.1f, background %.1f, band %.1f, pointing %.0f, object area %.2f\n",
		s[0].Object, s[0].Background, s[0].Band, s[0].Pointing, s[0].ObjectArea)
	// Output: object 0.6, background 0.4, band 0.6, pointing 0, object area 0.25
}

func ExampleSpearman() {
	a := []float32{0.1, 0.5, 0.3, 0.9}
	b := []float32{1, 20, 3, 400} // the same order
	c := []float32{4, 3, 2, 1}
	fmt.Printf("%.2f %.2f\n", saliency.Spearman(a, b), saliency.Spearman(a, c))
	// Output: 1.00 -0.80
}

// Evaluate a model's gradient maps on 8 shapes test images: where their
// mass falls on the objects (the shapes data set knows every mask), and a
// grid of the images over the model's maps.
func ExampleEvaluate() {
	model, _ := models.New("smallcnn", models.Options{Width: 4, Seed: 1})
	ds, err := data.Open("shapes:test?size=16")
	if err != nil {
		panic(err)
	}
	rep, err := saliency.Evaluate(context.Background(), model, ds, saliency.Config{Method: saliency.Gradient, N: 8})
	if err != nil {
		panic(err)
	}
	rep.Name = "smallcnn"
	fmt.Println(rep.N, "maps of", rep.Maps.Shape()[1:], "measured on", rep.Mask.Object.N+rep.Mask.Object.Skipped, "object masks")
	grid, err := saliency.RenderGrid(rep.Images, rep.ImageCaptions(8),
		[]saliency.Row{{Label: rep.Name, Maps: rep.Maps, Captions: rep.Captions(8, nil)}}, saliency.RenderOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(grid.Bounds().Dx() > 8*96)
	// Output:
	// 8 maps of [16 16] measured on 8 object masks
	// true
}
