package shapebias_test

import (
	"context"
	"fmt"

	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/shapebias"
)

// Measure a model's shape bias on the shapes data set's cue-conflict
// split: every decision is counted as the shape's class, the texture's or
// neither.
func ExampleEvaluate() {
	m, err := models.New("smallcnn", models.Options{Width: 4, Seed: 1})
	if err != nil {
		panic(err)
	}
	ds, err := data.Open("shapes:cue-conflict?size=16&n=90")
	if err != nil {
		panic(err)
	}
	rep, err := shapebias.Evaluate(context.Background(), m, ds, shapebias.Config{})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Conflicts(), "cue-conflict images, each decided one way:", rep.Shape+rep.Texture+rep.Neither == 90)
	fmt.Println("bias = shape / (shape + texture):", rep.Bias == float64(rep.Shape)/float64(rep.Decided()))
	// Output:
	// 90 cue-conflict images, each decided one way: true
	// bias = shape / (shape + texture): true
}
