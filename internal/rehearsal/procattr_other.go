//go:build !linux

package rehearsal

import "syscall"

// childAttr: only Linux can tie a child's life to its parent's; elsewhere a killed rehearsal
// may leave its instances running.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
