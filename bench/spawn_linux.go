package bench

import "syscall"

// procAttr puts a spawned server in its own process group (Ctrl-C is
// ember-bench's to handle, and it stops the servers) and has the kernel
// end it if ember-bench dies without stopping it.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
