// Package devdb starts the project-local PostgreSQL cluster that `make run` and `make test` use
// when DATABASE_URL is unset, so a fresh clone needs nothing started by hand.
//
// The cluster lives in a git-ignored folder (.devdb at the repository root), listens only on
// 127.0.0.1, and is reused by later runs. PostgreSQL refuses to run as root, so when we are root the
// server runs as the "postgres" OS user, which owns the data folder.
package devdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Port is where the development cluster listens; chosen away from 5432 so a system server can coexist.
const Port = 54329

// DatabaseName is the database `giveaway serve` uses in development.
const DatabaseName = "giveaway"

// Ensure starts the cluster in dir (creating it on first use) unless it already runs, and returns
// the URL of its maintenance database "postgres". Concurrent callers (parallel test packages) are
// serialised by a file lock.
func Ensure(ctx context.Context, dir string) (string, error) {
	return EnsureOn(ctx, dir, Port)
}

// EnsureOn is Ensure for a cluster of its own on another port (the rehearsal restarts its
// PostgreSQL, which it may do only to a cluster nobody else is using).
func EnsureOn(ctx context.Context, dir string, port int) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("devdb: %w", err)
	}
	unlock, err := lockFile(filepath.Join(dir, "lock"))
	if err != nil {
		return "", err
	}
	defer unlock()

	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	if listening(port) {
		return url, nil
	}
	bin, err := binDir()
	if err != nil {
		return "", err
	}
	run, err := runner(dir)
	if err != nil {
		return "", err
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		if err := run(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
			"--encoding=UTF8", "--locale=C.UTF-8"); err != nil {
			return "", fmt.Errorf("devdb: initdb: %w", err)
		}
	}
	// fsync off: this cluster holds only development and test data that can be recreated.
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c full_page_writes=off "+
		"-c synchronous_commit=off -c max_connections=400 -c shared_buffers=512MB", port, dir)
	if err := run(ctx, filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "server.log"),
		"-o", opts, "-w", "-t", "60", "start"); err != nil {
		return "", fmt.Errorf("devdb: pg_ctl start (see %s): %w", filepath.Join(dir, "server.log"), err)
	}
	return url, nil
}

// Stop stops the cluster in dir if it runs.
func Stop(ctx context.Context, dir string) error {
	return pgCtl(ctx, dir, "-m", "fast", "stop")
}

// Running reports the pid of the postmaster running in dir, from its postmaster.pid (0: none).
// A postmaster is not the child of whoever ran pg_ctl, so it outlives a process killed outright.
func Running(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 || !Alive(pid) {
		return 0
	}
	return pid
}

// Alive says whether process pid exists (a signal 0 reaches it; EPERM: it exists, not ours).
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// StopNow stops the cluster in dir at once (immediate mode: no checkpoint, nothing to keep), for
// a cluster whose owner is gone.
func StopNow(ctx context.Context, dir string) error {
	return pgCtl(ctx, dir, "-m", "immediate", "-w", "-t", "60", "stop")
}

// Restart restarts the cluster in dir as an operator would mid-event: fast mode, so open sessions
// are cut and in-flight transactions roll back.
func Restart(ctx context.Context, dir string) error {
	return pgCtl(ctx, dir, "-l", filepath.Join(dir, "server.log"), "-m", "fast", "-w", "-t", "60", "restart")
}

// pgCtl runs pg_ctl on the cluster in dir, as the user the cluster runs as.
func pgCtl(ctx context.Context, dir string, args ...string) error {
	bin, err := binDir()
	if err != nil {
		return err
	}
	run, err := runner(dir)
	if err != nil {
		return err
	}
	return run(ctx, filepath.Join(bin, "pg_ctl"), append([]string{"-D", filepath.Join(dir, "data")}, args...)...)
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// binDir finds the newest installed PostgreSQL server binaries (Debian keeps them off PATH).
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("devdb: no PostgreSQL server binaries found (apt-get install postgresql), or set DATABASE_URL")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

type runFunc func(ctx context.Context, name string, args ...string) error

// runner returns a function that runs PostgreSQL tools as the user allowed to own the cluster.
func runner(dir string) (runFunc, error) {
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("devdb: running as root needs the postgres OS user (apt-get install postgresql)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := chownTree(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context, name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}, nil
}

// chownTree hands the cluster folder to postgres and makes sure postgres can reach it.
func chownTree(dir string, uid, gid int) error {
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("devdb: %w", err)
	}
	// Every parent must be searchable by postgres, or initdb cannot reach the data folder.
	for p := filepath.Dir(dir); p != "/" && p != "."; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("devdb: %w", err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, st.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("devdb: %s is not searchable by postgres: %w", p, err)
			}
		}
	}
	return nil
}

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("devdb: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("devdb: lock: %w", err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// RepoRoot walks up from the working directory to the folder holding go.mod, so tests in any
// package and the binary run from the root share one cluster.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("devdb: no go.mod above the working directory; set DATABASE_URL")
		}
		dir = parent
	}
}
