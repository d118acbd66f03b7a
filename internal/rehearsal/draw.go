package rehearsal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// drawAtClose plays the grand-prize draw after the day: define (winners must be present), commit,
// reveal through the API; the first winner called is absent, so the slot passes to the first
// backup, whom staff then confirm present with the other winners. It proves the draw with the
// binary's own verifier on the public record, that the pool is every claim verified or given at
// the commit, and that the absent winner's slot went to the first backup, nobody holding two.
func (d *day) drawAtClose(ctx context.Context, add func(string, bool, string, ...any)) {
	auth := []string{"Authorization", "Bearer " + adminToken}
	step := func(path, body string) answer {
		var b []byte
		if body != "" {
			b = []byte(body)
		}
		return d.c.do("POST", d.inst(0).base()+path, b, append([]string{"Idempotency-Key", newKey()}, auth...)...)
	}
	a := step("/api/v1/campaigns/"+slug+"/draws", `{"prize":"sticker","winners":3,"backups":2,"must_be_present":true,"presence_minutes":30}`)
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
	// Winner 1 is not at the booth: the slot passes to backup 1, who is; so are winners 2 and 3.
	var decisions []string
	for _, step := range []string{"1/absent", "1/present", "2/present", "3/present"} {
		a := d.c.do("POST", fmt.Sprintf("%s/api/v1/draws/%d/winners/%s", d.inst(1).base(), created.ID, step), nil, auth...)
		if a.Status != 200 {
			decisions = append(decisions, fmt.Sprintf("%s: %d %s", step, a.Status, a.Body))
		}
	}
	rec := d.c.do("GET", fmt.Sprintf("%s/api/v1/draws/%d", d.inst(1).base(), created.ID), nil)
	type pick struct {
		EntryID string `json:"entry_id"`
		Slot    int
		Status  string
	}
	var out struct {
		Entrants         int64
		Winners, Backups []pick
	}
	json.Unmarshal(rec.Body, &out)
	distinct := map[string]bool{}
	for _, p := range append(out.Winners, out.Backups...) {
		if p.Status == "present" {
			distinct[p.EntryID] = true
		}
	}
	passed := len(out.Winners) == 3 && len(out.Backups) == 2 && out.Winners[0].Status == "absent" &&
		out.Backups[0].Slot == 1 && out.Backups[0].Status == "present" && out.Backups[1].Status == "waiting"
	file := filepath.Join(d.cfg.Dir, "draw.json")
	os.WriteFile(file, rec.Body, 0o644)
	cmd := exec.CommandContext(ctx, d.cfg.Bin, "draw", "verify", file)
	cmd.SysProcAttr = childAttr()
	verify, err := cmd.CombinedOutput()
	add("draw_verifies", err == nil && out.Entrants == eligible && passed && len(distinct) == 3 && len(decisions) == 0,
		"pool %d entrants, %d claims verified or given; winner 1 absent, slot to backup 1: %v; %d distinct present; refused: %v; giveaway draw verify: %v",
		out.Entrants, eligible, passed, len(distinct), decisions, verdict(err, verify))
}

func verdict(err error, out []byte) string {
	if err == nil {
		return "ok"
	}
	return fmt.Sprintf("%v %s", err, out)
}
