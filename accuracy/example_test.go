package accuracy_test

import (
	"context"
	"fmt"

	"github.com/robustlab/robustlab/accuracy"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/models"
)

// Evaluate a model's accuracy on the first 32 images of a test set.
func ExampleEvaluate() {
	m, err := models.New("smallcnn", models.Options{Width: 4, Seed: 1})
	if err != nil {
		panic(err)
	}
	ds, err := data.Open("shapes:test?size=16")
	if err != nil {
		panic(err)
	}
	rep, err := accuracy.Evaluate(context.Background(), m, ds, accuracy.Config{N: 32})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: %d images, accuracy = correct / n: %v\n", rep.Data, rep.N, rep.Accuracy == float64(rep.Correct)/float64(rep.N))
	// Output: shapes:test?size=16&n=10000&seed=0&p=1: 32 images, accuracy = correct / n: true
}
