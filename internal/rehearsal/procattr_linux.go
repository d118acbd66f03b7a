package rehearsal

import "syscall"

// childAttr puts a child in a process group of its own (a terminal's Ctrl-C reaches only the
// rehearsal, which then stops its children in order) and has the kernel SIGKILL it when the
// rehearsal dies, however it dies, so a killed rehearsal leaves no instance behind. (The kernel
// watches the thread that started the child; Go keeps its threads unless a goroutine exits
// locked to one, which the rehearsal never does.)
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
