//go:build !linux

package bench

import "syscall"

// procAttr keeps the defaults off Linux.
func procAttr() *syscall.SysProcAttr { return nil }
