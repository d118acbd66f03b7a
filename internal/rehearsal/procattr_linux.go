package rehearsal

import "syscall"

// childAttr puts a child in a process group of its own (a terminal's Ctrl-C reaches only the
// rehearsal, which then stops its children in order) and has the kernel SIGKILL it when the
// rehearsal dies, however it dies, so a killed rehearsal leaves no instance behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
