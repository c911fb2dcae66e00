package attack

import (
	"testing"

	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/nn"
	"github.com/robustlab/robustlab/tensor"
)

// benchmarkPGD times PGD (every example every step, as in training) on a
// random batch; it reports images x steps per second.
func benchmarkPGD(b *testing.B, arch string, o models.Options, shape []int, steps int) {
	m, err := models.New(arch, o)
	if err != nil {
		b.Fatal(err)
	}
	nn.SetTraining(m, false)
	rng := tensor.NewRNG(1)
	x := tensor.RandU(rng, 0, 1, shape...)
	labels := make([]int, shape[0])
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	cfg := PGDConfig{Eps: 8.0 / 255, Steps: steps, RandomStart: true}
	if _, err := PGD(m, x, labels, cfg); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := PGD(m, x, labels, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*shape[0]*steps)/b.Elapsed().Seconds(), "img-steps/s")
}

// BenchmarkPGDResNet20 is robustlab bench attack's workload: PGD-10 on
// CIFAR ResNet-20 at batch 128.
func BenchmarkPGDResNet20(b *testing.B) {
	benchmarkPGD(b, "resnet20", models.Options{}, []int{128, 3, 32, 32}, 10)
}

// BenchmarkPGDMadryMNIST is the attack step of FGSM and PGD training on
// Madry et al.'s MNIST CNN at batch 100.
func BenchmarkPGDMadryMNIST(b *testing.B) {
	benchmarkPGD(b, "madry-mnist", models.Options{}, []int{100, 1, 28, 28}, 5)
}
