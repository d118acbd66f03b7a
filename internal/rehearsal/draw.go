package rehearsal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// drawAtClose plays the grand-prize draw after the day: define, commit, reveal through the API,
// then proves it with the binary's own verifier on the public record, and that the pool is every
// claim verified or given at the commit, nobody winning twice.
func (d *day) drawAtClose(ctx context.Context, add func(string, bool, string, ...any)) {
	auth := []string{"Authorization", "Bearer " + adminToken}
	step := func(path, body string) answer {
		var b []byte
		if body != "" {
			b = []byte(body)
		}
		return d.c.do("POST", d.inst(0).base()+path, b, append([]string{"Idempotency-Key", newKey()}, auth...)...)
	}
	a := step("/api/v1/campaigns/"+slug+"/draws", `{"prize":"sticker","winners":3,"backups":2}`)
	var created struct{ ID int64 }
	if json.Unmarshal(a.Body, &created); a.Status != 201 || created.ID == 0 {
		add("draw_verifies", false, "define: %d %s", a.Status, a.Body)
		return
	}
	eligible := d.count(ctx, "verified_claims")
	c := step(fmt.Sprintf("/api/v1/draws/%d/commit", created.ID), "")
	r := step(fmt.Sprintf("/api/v1/draws/%d/reveal", created.ID), "")
	if c.Status != 200 || r.Status != 200 {
		add("draw_verifies", false, "commit %d %s; reveal %d %s", c.Status, c.Body, r.Status, r.Body)
		return
	}
	rec := d.c.do("GET", fmt.Sprintf("%s/api/v1/draws/%d", d.inst(1).base(), created.ID), nil)
	var out struct {
		Entrants int64
		Winners  []struct {
			EntryID string `json:"entry_id"`
		}
	}
	json.Unmarshal(rec.Body, &out)
	distinct := map[string]bool{}
	for _, w := range out.Winners {
		distinct[w.EntryID] = true
	}
	file := filepath.Join(d.cfg.Dir, "draw.json")
	os.WriteFile(file, rec.Body, 0o644)
	cmd := exec.CommandContext(ctx, d.cfg.Bin, "draw", "verify", file)
	cmd.SysProcAttr = childAttr()
	verify, err := cmd.CombinedOutput()
	add("draw_verifies", err == nil && out.Entrants == eligible && len(out.Winners) == 3 && len(distinct) == 3,
		"pool %d entrants, %d claims verified or given; %d winners, %d distinct; giveaway draw verify: %v",
		out.Entrants, eligible, len(out.Winners), len(distinct), verdict(err, verify))
}

func verdict(err error, out []byte) string {
	if err == nil {
		return "ok"
	}
	return fmt.Sprintf("%v %s", err, out)
}
