package main

import (
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
	fs := flags("serve", "[-dir DIR] [-port N]",
		"Serves the web app in DIR on http://127.0.0.1:PORT/ and prints the URL. The\n"+
			"page needs no server logic: any static host works the same. Responses carry\n"+
			"Cache-Control: no-cache (the browser revalidates; the service worker keeps\n"+
			"its own versioned cache for offline use). -port 0 picks a free port.")
	dir := fs.String("dir", "web", "directory to serve")
	port := fs.Int("port", envPort(8080), "TCP port on 127.0.0.1 ($PORT sets the default)")
	if _, err := parse(fs, args, func(p []string) bool { return len(p) == 0 }); err != nil {
		return err
	}
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		return fmt.Errorf("serve: %s is not a directory", *dir)
	}
	if _, err := os.Stat(filepath.Join(*dir, "lrp.wasm")); err != nil {
		fmt.Fprintf(os.Stderr, "serve: warning: %s has no lrp.wasm; run scripts/build.sh first\n", *dir)
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
		Handler:           staticHandler(*dir),
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
