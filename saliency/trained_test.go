package saliency_test

import (
	"context"
	"io"
	"testing"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/modelio"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/saliency"
	"github.com/robustlab/robustlab/train"
)

// TestOnATrainedModel checks the bars on a small model trained for
// a few seconds on 16x16 shapes: Integrated Gradients with 64 steps is
// complete to within 5% on 100 test images, and the model-randomization
// check tells the trained model from a freshly initialized copy (mean rank
// correlation below 0.5).
func TestOnATrainedModel(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	ctx := context.Background()
	cfg := train.Config{Data: "shapes:train?n=3000&size=16", Arch: "smallcnn", Model: models.Options{Width: 16},
		Epochs: 4, BatchSize: 64, Seed: 3}
	res, err := train.Run(ctx, cfg, train.Options{Out: t.TempDir(), Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	model, meta, err := modelio.Load(res.ModelPath)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.Open("shapes:test?n=100&size=16")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := saliency.Evaluate(ctx, model, ds, saliency.Config{Method: saliency.Gradient})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accuracy < 0.6 || rep.N != 100 || rep.Mask == nil {
		t.Fatalf("the model learned too little to test with: accuracy %v on %d images", rep.Accuracy, rep.N)
	}
	// A trained model's gradients put more mass on the object than its
	// area, what a map blind to the object would.
	if !(rep.Mask.Object.Mean > rep.Mask.ObjectArea.Mean) {
		t.Errorf("gradient mass on the object %v, object area %v", rep.Mask.Object.Mean, rep.Mask.ObjectArea.Mean)
	}
	images, labels := rep.Images, rep.Labels

	ig, err := saliency.ComputeIG(ctx, model, images, labels, saliency.Options{Steps: 64})
	if err != nil {
		t.Fatal(err)
	}
	rel := saliency.Summarize(ig.RelativeCompletenessErrors())
	t.Logf("IG, 64 Gauss-Legendre steps, black baseline: relative completeness error mean %.4f max %.4f (%d images)", rel.Mean, rel.Max, rel.N)
	if rel.N < 95 || !(rel.Mean <= 0.05) {
		t.Errorf("IG completeness: %+v", rel)
	}

	o := meta.Options
	o.Seed++
	fresh, err := models.New(meta.Arch, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []saliency.Method{saliency.Gradient, saliency.SmoothGrad} {
		rho, err := saliency.RandomizationCheck(ctx, model, fresh, images, labels, m, saliency.Options{Samples: 10}, saliency.AbsMax)
		if err != nil {
			t.Fatal(err)
		}
		s := saliency.Summarize(rho)
		t.Logf("%v: rank correlation trained vs randomized: mean %.3f (std %.3f)", m, s.Mean, s.Std)
		if !(s.Mean < 0.5) {
			t.Errorf("%v: the randomization check does not separate the models: %+v", m, s)
		}
	}
}
