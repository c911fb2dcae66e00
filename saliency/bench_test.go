package saliency

import (
	"testing"

	"github.com/robustlab/robustlab/models"
)

// benchmarkMethod times method m on a ResNet-20 and a batch of 32 random
// 32x32 images; `robustlab bench saliency` compares the same with PyTorch
// at batch 128.
func benchmarkMethod(b *testing.B, m Method, o Options) {
	model, err := models.New("resnet20", models.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	x := randImages(1, 32, 3, 32, 32)
	targets := make([]int, 32)
	for i := range targets {
		targets[i] = i % 10
	}
	if o.Layer == "" {
		o.Layer = "layer3"
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Compute(ctx, model, x, targets, m, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "maps/s")
}

func BenchmarkGradient(b *testing.B)   { benchmarkMethod(b, Gradient, Options{}) }
func BenchmarkGradCAM(b *testing.B)    { benchmarkMethod(b, GradCAM, Options{}) }
func BenchmarkSmoothGrad(b *testing.B) { benchmarkMethod(b, SmoothGrad, Options{Samples: 25}) }
func BenchmarkIG(b *testing.B)         { benchmarkMethod(b, IntegratedGradients, Options{Steps: 16}) }
