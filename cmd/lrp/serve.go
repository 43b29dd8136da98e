package main

import (
	"errors"
	"fmt"
	"html"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func init() {
	register("serve", "serve the web app on localhost", runServe)
}

// serveTypes are the MIME types the app needs whatever the system's
// mime.types says: browsers refuse to compile wasm streamed with another
// type, refuse module scripts without a JavaScript type, and a manifest
// needs its own.
var serveTypes = map[string]string{
	".wasm":        "application/wasm",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".css":         "text/css; charset=utf-8",
	".html":        "text/html; charset=utf-8",
	".png":         "image/png",
	".safetensors": "application/octet-stream",
	".onnx":        "application/octet-stream",
}

func runServe(args []string) error {
	fs := flags("serve", "[-dir DIR] [-port N] [-host NAME]",
		"Serves the web app in DIR on http://127.0.0.1:PORT/ and prints the URL. The\n"+
			"page needs no server logic: any static host works the same. Responses carry\n"+
			"Cache-Control: no-cache (the browser revalidates; the service worker keeps\n"+
			"its own versioned cache for offline use). -port 0 picks a free port.\n\n"+
			"Safe by default: only GET and HEAD; no directory listings, no dotfiles or\n"+
			"dot-directories, nothing a symlink leads to outside DIR; only requests whose\n"+
			"Host is localhost, 127.0.0.1 or [::1] (so a DNS-rebinding page cannot read\n"+
			"DIR; -host allows another name). Every response carries the policy of\n"+
			"DIR/index.html's Content-Security-Policy meta tag (read at start) plus\n"+
			"frame-ancestors 'none', X-Content-Type-Options: nosniff, Referrer-Policy:\n"+
			"no-referrer and Cross-Origin-Opener-Policy: same-origin.")
	dir := fs.String("dir", "web", "directory to serve")
	port := fs.Int("port", envPort(8080), "TCP port on 127.0.0.1 ($PORT sets the default)")
	var hosts hostList
	fs.Var(&hosts, "host", "another `name` the Host header may carry, e.g. a name in /etc/hosts\n(repeatable or comma-separated)")
	if _, err := parse(fs, args, func(p []string) bool { return len(p) == 0 }); err != nil {
		return err
	}
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		return fmt.Errorf("serve: %s is not a directory", *dir)
	}
	if _, err := os.Stat(filepath.Join(*dir, "lrp.wasm")); err != nil {
		fmt.Fprintf(os.Stderr, "serve: warning: %s has no lrp.wasm; run scripts/build.sh first\n", *dir)
	}
	handler, err := serveHandler(*dir, hosts)
	if err != nil {
		return err
	}
	for ext, typ := range serveTypes {
		if err := mime.AddExtensionType(ext, typ); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	url := fmt.Sprintf("http://%s/", ln.Addr())
	fmt.Printf("Serving %s at %s (Ctrl-C stops)\n", *dir, url)

	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// staticHandler serves the files of dir with the app's MIME types and
// headers that let the browser revalidate every file without storing stale
// copies that would outlive a rebuild.
func staticHandler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		if typ, ok := serveTypes[strings.ToLower(filepath.Ext(r.URL.Path))]; ok {
			h.Set("Content-Type", typ)
		}
		files.ServeHTTP(w, r)
	})
}

// envPort returns $PORT when it is a valid port number, else def.
func envPort(def int) int {
	if p, err := strconv.Atoi(os.Getenv("PORT")); err == nil && p >= 0 && p < 65536 {
		return p
	}
	return def
}

// loopbackHosts are the names a request's Host may carry without -host.
// Any other name is refused: a page on a DNS name rebound to 127.0.0.1
// sends its own name, and must not read the folder.
var loopbackHosts = []string{"localhost", "127.0.0.1", "::1"}

// hostList is the -host flag: repeatable, each value a comma-separated list.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(v string) error {
	for _, name := range strings.Split(v, ",") {
		if name = hostName(strings.TrimSpace(name)); name == "" {
			return errors.New("empty host name")
		}
		*h = append(*h, name)
	}
	return nil
}

// hostName returns the name in a Host value ("localhost:8080", "[::1]",
// "[::1]:8080", "Example.COM") without port or brackets, in lower case.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
}

// serveHandler is the handler of lrp serve: staticHandler for the folder
// dir, behind a Host check and a path check (servable), with the security
// headers on every response, refusals included. The page's
// Content-Security-Policy is read once, from dir/index.html.
func serveHandler(dir string, hosts []string) (http.Handler, error) {
	root, err := filepath.Abs(dir)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	csp, err := pageCSP(filepath.Join(root, "index.html"))
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	headers := securityHeaders(csp)
	allowed := map[string]bool{}
	for _, h := range slices.Concat(loopbackHosts, hosts) {
		allowed[hostName(h)] = true
	}
	files := staticHandler(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		if !allowed[hostName(r.Host)] {
			http.Error(w, "lrp serve: this host name is not served (lrp serve -host NAME allows it)", http.StatusMisdirectedRequest)
			return
		}
		if !servable(root, r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}), nil
}

// securityHeaders are the headers of every response: the page's policy
// with frame-ancestors 'none', which a meta tag cannot carry (browsers
// ignore it there, so it is dropped from csp before ours is added).
func securityHeaders(csp string) map[string]string {
	var dirs []string
	for _, d := range strings.Split(csp, ";") {
		if d = strings.Join(strings.Fields(d), " "); d != "" && !strings.HasPrefix(strings.ToLower(d), "frame-ancestors") {
			dirs = append(dirs, d)
		}
	}
	return map[string]string{
		"Content-Security-Policy":    strings.Join(append(dirs, "frame-ancestors 'none'"), "; "),
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
}

var (
	metaTag  = regexp.MustCompile(`(?is)<meta\s[^>]*>`)
	metaAttr = regexp.MustCompile(`(?is)([a-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
)

// pageCSP returns the content of the page's
// <meta http-equiv="Content-Security-Policy" content="…"> tag: the one
// home of the policy, which the server repeats as a header.
func pageCSP(page string) (string, error) {
	b, err := os.ReadFile(page)
	if err != nil {
		return "", err
	}
	for _, tag := range metaTag.FindAllString(string(b), -1) {
		attrs := map[string]string{}
		for _, a := range metaAttr.FindAllStringSubmatch(tag, -1) {
			attrs[strings.ToLower(a[1])] = a[2] + a[3] + a[4]
		}
		if strings.EqualFold(attrs["http-equiv"], "Content-Security-Policy") && attrs["content"] != "" {
			return html.UnescapeString(attrs["content"]), nil
		}
	}
	return "", fmt.Errorf("%s has no <meta http-equiv=\"Content-Security-Policy\"> to send as a header", page)
}

// servable reports whether lrp serve hands out the URL path upath of the
// folder root (absolute, symlinks resolved). It refuses a path with a
// segment that starts with a dot (dotfiles, .git/, and . and ..), a path
// that does not resolve or, after symlinks, lands outside root or on a
// dot-named file below it, and a directory whose index.html is not
// servable: directories are never listed.
func servable(root, upath string) bool {
	if dotSegment(upath) {
		return false
	}
	p, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(upath)))
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(root, p)
	if err != nil || rel != "." && dotSegment(filepath.ToSlash(rel)) {
		return false
	}
	st, err := os.Stat(p)
	if err != nil {
		return false
	}
	return !st.IsDir() || servable(root, path.Join(upath, "index.html"))
}

// dotSegment reports whether a segment of the slash-separated path p
// starts with a dot.
func dotSegment(p string) bool {
	for _, s := range strings.Split(p, "/") {
		if strings.HasPrefix(s, ".") {
			return true
		}
	}
	return false
}
