package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxPrintable is the most bytes of one string from a file that the CLI
// prints; a longer one is cut and ends with its length.
const maxPrintable = 1 << 10

// printable returns s, text that a file controls (a model's name, labels,
// card, node names, an error that quotes them), fit to print on a
// terminal: C0 and C1 controls, DEL, bytes that are not UTF-8 and the
// bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)
// show as escapes (\x1b, \r, \u202e), so that a file can neither retitle
// nor clear the terminal nor reorder what follows.
func printable(s string) string {
	tail := ""
	if len(s) > maxPrintable {
		tail = fmt.Sprintf("… (%d bytes)", len(s))
		s = prefix(s, maxPrintable)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case 0x80 <= r && r <= 0x9f, 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String() + tail
}

// prefix returns the longest prefix of s of at most n bytes that does not
// cut a UTF-8 sequence.
func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
