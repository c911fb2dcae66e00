package corrupt_test

import (
	"context"
	"fmt"

	"github.com/robustlab/robustlab/corrupt"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/models"
)

// Measure a model's accuracy under two noises at three severities.
func ExampleEvaluate() {
	m, err := models.New("smallcnn", models.Options{Width: 4, Seed: 1})
	if err != nil {
		panic(err)
	}
	ds, err := data.Open("shapes:test?size=16&n=32")
	if err != nil {
		panic(err)
	}
	rep, err := corrupt.Evaluate(context.Background(), m, ds, corrupt.Config{
		Corruptions: []string{"salt-pepper", "uniform"}, Severities: []int{1, 3, 5}, Seed: 1})
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Results {
		fmt.Printf("%s at severity %d: accuracy on %d images\n", r.Corruption, r.Severity, rep.N)
	}
	// Output:
	// salt-pepper at severity 1: accuracy on 32 images
	// salt-pepper at severity 3: accuracy on 32 images
	// salt-pepper at severity 5: accuracy on 32 images
	// uniform at severity 1: accuracy on 32 images
	// uniform at severity 3: accuracy on 32 images
	// uniform at severity 5: accuracy on 32 images
}
