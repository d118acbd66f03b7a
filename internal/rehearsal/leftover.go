package rehearsal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/boothgiveaway/giveaway/internal/devdb"
)

// A rehearsal killed outright (SIGKILL, a cancelled CI job) takes its `giveaway serve` children
// with it (Pdeathsig), but not its PostgreSQL: the postmaster is pg_ctl's daemon, nobody's child.
// So a run writes its pid into the cluster's folder (owner.pid) and that folder's path into a
// pointer per port under the temporary directory, and the next run stops a cluster whose owner
// is gone. A cluster whose owner still runs is another rehearsal's: it is left alone.

func pointerFile(port int) string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("giveaway-rehearsal-%d.cluster", port))
}

// takeCluster stops the clusters killed runs left in clusterDir or on port, then marks
// clusterDir as this run's; release undoes the marks once the cluster is stopped.
func takeCluster(ctx context.Context, clusterDir string, port int, logf func(string, ...any)) (release func(), err error) {
	candidates := []string{clusterDir}
	if b, err := os.ReadFile(pointerFile(port)); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(b)))
	}
	for _, dir := range candidates {
		if pid := devdb.Running(dir); pid != 0 && !ownerAlive(dir) {
			logf("rehearsal: stopping the PostgreSQL (pid %d) a killed rehearsal left in %s", pid, dir)
			if err := devdb.StopNow(ctx, dir); err != nil {
				return nil, fmt.Errorf("stop the cluster a killed rehearsal left in %s: %w", dir, err)
			}
		}
	}
	if err := os.MkdirAll(clusterDir, 0o755); err != nil {
		return nil, err
	}
	owner := filepath.Join(clusterDir, "owner.pid")
	if err := os.WriteFile(owner, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(pointerFile(port), []byte(clusterDir), 0o644); err != nil {
		return nil, err
	}
	return func() {
		os.Remove(owner)
		if b, _ := os.ReadFile(pointerFile(port)); string(b) == clusterDir {
			os.Remove(pointerFile(port))
		}
	}, nil
}

// ownerAlive says whether the rehearsal that started the cluster in dir still runs (no owner
// file: a run from before owners were written, or one that was not a rehearsal's: gone).
func ownerAlive(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return err == nil && pid != os.Getpid() && devdb.Alive(pid)
}
