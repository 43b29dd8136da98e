//go:build js

package lrp

import (
	"syscall/js"
	"time"
)

// CPUTime returns the CPU time (user + system) of the process under Node,
// from process.cpuUsage(), or 0 elsewhere (a browser).
func CPUTime() time.Duration {
	p := js.Global().Get("process")
	if p.IsUndefined() || p.Get("cpuUsage").IsUndefined() {
		return 0
	}
	u := p.Call("cpuUsage")
	return time.Duration(u.Get("user").Int()+u.Get("system").Int()) * time.Microsecond
}
