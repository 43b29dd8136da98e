package mnist

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// digitsJSON returns a class file of n images whose pixel 0 of image i is i/n.
func digitsJSON(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"data": [`)
	for i := range n {
		for p := range Pixels {
			if i > 0 || p > 0 {
				b.WriteByte(',')
			}
			v := 0.0
			if p == 0 {
				v = float64(i) / float64(n)
			}
			fmt.Fprint(&b, v)
		}
	}
	b.WriteString("]}")
	return []byte(b.String())
}

func TestSplit(t *testing.T) {
	// Class d has TrainPerClass+1+d digits; pixel 0 of digit i is i/n.
	var digits [Classes][]float32
	for d := range digits {
		n := TrainPerClass + 1 + d
		digits[d] = make([]float32, n*Pixels)
		for i := range n {
			digits[d][i*Pixels] = float32(i) / float32(n)
		}
	}
	train, test, err := Split(digits)
	require.NoError(t, err)
	require.Equal(t, Classes*TrainPerClass, train.Len(), "train digits")
	require.Len(t, train.Images, train.Len()*Pixels, "train values")
	require.Equal(t, Classes+45, test.Len(), "test digits") // 1 + d extra digits per class
	// The first test digit of class 3 is its 801st of 804.
	i := 1 + 2 + 3
	assert.Equal(t, 3, test.Labels[i], "test digit %d: class", i)
	assert.Equal(t, TrainPerClass, test.Index[i], "test digit %d: index", i)
	assert.Equal(t, float32(800)/804, test.Image(i)[0], "test digit %d: pixel 0", i)
	assert.Equal(t, "3.json[800]", test.Source(i), "Source")
	assert.Equal(t, 1, train.Labels[TrainPerClass], "train digit %d: class", TrainPerClass)
	assert.Equal(t, 0, train.Index[TrainPerClass], "train digit %d: index", TrainPerClass)
}

func TestParse(t *testing.T) {
	imgs, err := Parse(digitsJSON(4))
	require.NoError(t, err)
	require.Len(t, imgs, 4*Pixels, "Parse: values")
	require.Equal(t, []float32{0.5, 0}, imgs[2*Pixels:2*Pixels+2], "Parse: the start of image 2")
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"data": [0, 1]}`, "whole number"},
		{`{"data": []}`, "whole number"},
		{`{"data": `, "unexpected end"},
		{strings.Replace(string(digitsJSON(1)), "[0,", "[2,", 1), "outside [0, 1]"},
	} {
		_, err := Parse([]byte(c.in))
		assert.ErrorContains(t, err, c.want, "Parse(%.20q…)", c.in)
	}
	var digits [Classes][]float32
	_, _, err := Split(digits)
	assert.ErrorContains(t, err, "class 0 has 0 digits", "Split of no digits")
}

func TestLoadMissing(t *testing.T) {
	_, _, err := Load(t.TempDir())
	require.ErrorIs(t, err, ErrNoData, "Load of an empty folder")
}

// TestLoad reads the real digits when scripts/fetch-mnist.sh has been run.
func TestLoad(t *testing.T) {
	train, test, err := Load("../data/mnist")
	if errors.Is(err, ErrNoData) {
		t.Skip("no MNIST data in data/mnist (run scripts/fetch-mnist.sh)")
	}
	require.NoError(t, err)
	require.Equal(t, 8000, train.Len(), "train digits")
	require.Equal(t, 2000, test.Len(), "test digits")
}
