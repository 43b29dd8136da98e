// Package heatmap turns relevance maps into colors, with one implementation
// for the command-line tool and the WebAssembly page.
//
// A relevance map [C][H][W] is summed over channels, filtered by sign,
// scaled to [0, 1] and looked up in a 256-entry palette built from one of
// Zennit's colormaps (zennit/image.py, CMAPS). The default scaling is
// symmetric about zero, v ↦ (v/max|R| + 1)/2, so zero relevance lands on the
// colormap's centre (white for bwr, black for coldnhot) and positive and
// negative relevance of equal size get colors of equal strength.
//
// Every function writes into a caller-owned destination, 8-bit RGBA rows
// top to bottom (the layout of a canvas ImageData), so a page that redraws
// on every pointer move allocates nothing. The package does no I/O beyond
// EncodePNG writing to an io.Writer.
package heatmap
