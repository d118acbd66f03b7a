package rehearsal

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/boothgiveaway/giveaway/internal/esdoc"
)

//go:embed proofs.sql
var proofsSQL string

// proofs are proofs.sql's statements by name.
var proofs = func() map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(proofsSQL, "-- name: ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		out[strings.TrimSpace(name)] = body
	}
	return out
}()

// Proof is one invariant with the figures that decide it.
type Proof struct {
	Name   string
	OK     bool
	Detail string
}

// Outcome is the day's proofs and figures.
type Outcome struct {
	Proofs  []Proof
	Figures [][2]string // key=value lines
	Faults  []string
}

// Failed says whether any invariant failed.
func (o *Outcome) Failed() bool {
	return slices.ContainsFunc(o.Proofs, func(p Proof) bool { return !p.OK })
}

// Print writes the table of proofs, then the key=value lines.
func (o *Outcome) Print(w io.Writer) {
	fmt.Fprintln(w, "| invariant | holds | figures |")
	fmt.Fprintln(w, "| --- | --- | --- |")
	for _, p := range o.Proofs {
		ok := "yes"
		if !p.OK {
			ok = "NO"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", p.Name, ok, p.Detail)
	}
	for _, p := range o.Proofs {
		fmt.Fprintf(w, "proof_%s=%v\n", p.Name, p.OK)
	}
	for _, f := range o.Figures {
		fmt.Fprintf(w, "%s=%s\n", f[0], f[1])
	}
}

func (d *day) count(ctx context.Context, name string, args ...any) int64 {
	var n int64
	q := proofs[name]
	if strings.Contains(q, "$1") { // the campaign's statements take its slug first
		args = append([]any{slug}, args...)
	}
	if err := d.pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		d.logf("rehearsal: proof %s: %v", name, err)
		return -1
	}
	return n
}

// windows reads (from, to) rows, widened by slack on each side.
func (d *day) windows(ctx context.Context, name string, slack time.Duration) [][2]time.Time {
	rows, err := d.pool.Query(ctx, proofs[name])
	if err != nil {
		d.logf("rehearsal: proof %s: %v", name, err)
		return nil
	}
	defer rows.Close()
	var out [][2]time.Time
	for rows.Next() {
		var from, to time.Time
		if rows.Scan(&from, &to) == nil {
			out = append(out, [2]time.Time{from.Add(-slack), to.Add(slack)})
		}
	}
	return out
}

func (d *day) strings(ctx context.Context, name string) []string {
	var args []any
	if strings.Contains(proofs[name], "$1") {
		args = append(args, slug)
	}
	rows, err := d.pool.Query(ctx, proofs[name], args...)
	if err != nil {
		d.logf("rehearsal: proof %s: %v", name, err)
		return nil
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// settle waits until f holds or the time is up, for work the instances finish after the day
// (matching, the feed); false when it never held or ctx ended (Ctrl-C).
func settle(ctx context.Context, within time.Duration, f func() bool) bool {
	deadline := time.Now().Add(within)
	for !f() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
	return true
}

func (d *day) prove(ctx context.Context) (*Outcome, error) {
	o := &Outcome{Faults: d.faults}
	add := func(name string, ok bool, format string, args ...any) {
		o.Proofs = append(o.Proofs, Proof{name, ok, fmt.Sprintf(format, args...)})
	}
	fig := func(k string, v any) { o.Figures = append(o.Figures, [2]string{k, fmt.Sprint(v)}) }

	// Matching and the feed finish after the last request; give them a while.
	settle(ctx, 30*time.Second, func() bool { return d.count(ctx, "eligible_unverified") == 0 })
	drained := settle(ctx, 2*time.Minute, func() bool { return d.count(ctx, "outbox_pending") == 0 })

	unverified, without := d.count(ctx, "eligible_unverified"), d.count(ctx, "verified_without_post")
	add("eligible_claims_verified", unverified == 0 && without == 0,
		"%d eligible claims unverified; %d verified without an eligible post; %d verified in all",
		unverified, without, d.count(ctx, "verified_claims"))

	over := d.count(ctx, "over_limit")
	add("per_person_limit", over == 0, "%d people over the limit", over)

	below, mismatch, soldOut := d.count(ctx, "stock_below_zero"), d.count(ctx, "stock_mismatch"), d.count(ctx, "sold_out")
	tshirts := d.count(ctx, "tshirt_stock")
	add("stock", below == 0 && mismatch == 0 && soldOut >= 1 && tshirts == int64(scarceStock+d.restocked),
		"%d prizes below zero; %d where stock left ≠ initial − given + undone (audit log); %d ran out (want ≥ 1); T-shirts %d = %d + %d restocked in the console",
		below, mismatch, soldOut, tshirts, scarceStock, d.restocked)

	// Every give a tablet saw succeed exists exactly once; every refused one left nothing.
	var given, undone, refused, unknown, missing int
	codes := map[string]int{}
	for _, g := range d.gives {
		switch g.outcome {
		case "given", "undone":
			if g.outcome == "given" {
				given++
			} else {
				undone++
			}
			if d.count(ctx, "give_rows", g.claimID, g.givenAt, g.outcome == "undone") != 1 {
				missing++
			}
		case "refused":
			refused++
			codes[g.code]++
		default:
			unknown++
		}
	}
	rows := d.count(ctx, "gives_total")
	extra := rows - int64(given+undone)
	add("gives_exactly_once", missing == 0 && extra >= 0 && extra <= int64(unknown),
		"%d seen given (%d undone since), %d refused %v, %d never answered; %d not found once; %d rows unaccounted for",
		given+undone, undone, refused, codes, unknown, missing, extra)

	// The Elasticsearch double holds what PostgreSQL holds.
	tweetIDs, eventIDs := d.strings(ctx, "tweet_ids"), d.strings(ctx, "event_ids")
	tweetsIdx, eventsIdx := "twitter-"+slug, "giveaway-events-"+slug
	var lostTweets, lostEvents int
	for _, key := range tweetIDs {
		network, id, _ := strings.Cut(key, " ")
		if _, ok := d.es.Doc(tweetsIdx, esdoc.DocID(network, id)); !ok {
			lostTweets++
		}
	}
	for _, id := range eventIDs {
		if _, ok := d.es.Doc(eventsIdx, id); !ok {
			lostEvents++
		}
	}
	dead := d.count(ctx, "outbox_dead")
	esTweets, esEvents := d.es.Count(tweetsIdx), d.es.Count(eventsIdx)
	add("elasticsearch_matches_postgres", drained && lostTweets == 0 && lostEvents == 0 && dead == 0 &&
		esTweets == len(tweetIDs) && esEvents == len(eventIDs),
		"outbox drained %v; tweets pg %d es %d (%d missing); events pg %d es %d (%d missing); %d dead letters",
		drained, len(tweetIDs), esTweets, lostTweets, len(eventIDs), esEvents, lostEvents, dead)

	// Deleted posts are gone from PostgreSQL and Elasticsearch, but for deletes written to a
	// reader at the moment it was SIGKILLed (lost as they would be with X).
	allTweets := d.strings(ctx, "all_tweet_ids")
	stored := map[string]bool{}
	for _, id := range allTweets {
		stored[id] = true
	}
	gaps := d.windows(ctx, "x_gaps", time.Second) // the gaps are recorded to the second
	var kept, excused int
	for _, del := range d.deleted {
		_, inES := d.es.Doc(tweetsIdx, del.id)
		if !stored[del.id] && !inES {
			continue
		}
		if within(del.at, d.killed) || within(del.at, gaps) {
			excused++
		} else {
			kept++
		}
	}
	// Every post sent is stored (or deleted since), one reader after another: none lost but
	// those the killed reader had read and not yet stored.
	deletedSet := map[string]bool{}
	for _, del := range d.deleted {
		deletedSet[del.id] = true
	}
	var lost, lostAtKill, lostInGap int
	var lostExample string
	for _, p := range d.posted {
		switch {
		case stored[p.id] || deletedSet[p.id]:
		case within(p.at, d.killed):
			lostAtKill++
		case within(p.at, gaps):
			lostInGap++
		default:
			lost++
			lostExample = p.id + " sent " + p.at.Format("15:04:05.000")
		}
	}
	toots, skeets := d.count(ctx, "mastodon_posts"), d.count(ctx, "bluesky_posts")
	add("open_network_posts_not_lost", toots == int64(d.toots) && d.toots > 0 && skeets == int64(d.skeets) && d.skeets > 0,
		"Mastodon: %d posts with every hashtag published, %d stored; Bluesky: %d pushed, %d stored; %d claims on them verified",
		d.toots, toots, d.skeets, skeets, d.count(ctx, "network_claims_verified"))
	add("posts_not_lost", lost == 0, "%d posts sent; %d lost %s; %d lost with the killed reader; %d in the %d gaps the X reader recorded",
		len(d.posted), lost, lostExample, lostAtKill, lostInGap, len(gaps))
	retweets, wrongCounts := d.count(ctx, "retweets_total"), d.count(ctx, "retweet_count_wrong")
	add("retweet_counts", wrongCounts == 0 && retweets > 0,
		"%d stored originals whose retweet count is not their retweets' (stored, or the highest count one carried); %d retweets stored",
		wrongCounts, retweets)
	add("deletes_honoured", kept == 0, "%d deletes sent; %d posts still stored; %d sent as the reader was killed or in a recorded gap",
		len(d.deleted), kept, excused)

	d.proveStreams(ctx, add, fig)
	d.proveLive(ctx, add, fig)

	// The report's figures are the audit log's.
	campaignDay := time.Now().In(seoul).Format("2006-01-02")
	a := d.c.do("GET", d.inst(0).base()+"/api/v1/campaigns/"+slug+"/report?date="+campaignDay, nil,
		"Authorization", "Bearer "+adminToken)
	var rep struct {
		PrizesGiven int64 `json:"prizes_given"`
	}
	json.Unmarshal(a.Body, &rep)
	audit := d.count(ctx, "audit_given_today", campaignDay)
	add("report_equals_audit_log", a.Status == 200 && rep.PrizesGiven == audit,
		"report %d (HTTP %d), audit log %d", rep.PrizesGiven, a.Status, audit)

	// No 5xx but in the PostgreSQL restart window.
	var outside []string
	for _, f := range d.c.five {
		if !within(f.At, d.pgWindows) {
			outside = append(outside, fmt.Sprintf("%s %d", f.Path, f.Status))
		}
	}
	add("no_5xx_outside_pg_restart", len(outside) == 0, "%d 5xx in all, %d outside: %s",
		len(d.c.five), len(outside), strings.Join(first(outside, 5), "; "))

	// What the crowd and the attackers were answered, judged as they went.
	for _, hostile := range []bool{false, true} {
		n, failed := 0, 0
		var failures []string
		for _, c := range d.checks {
			if c.hostile != hostile {
				continue
			}
			n++
			if !c.ok {
				failed++
				failures = append(failures, c.what)
			}
		}
		name := "crowd_and_tablets_answered_right"
		if hostile {
			name = "hostile_input_refused"
		}
		add(name, failed == 0 && n > 0, "%d checks, %d failed: %s", n, failed, strings.Join(first(failures, 5), "; "))
	}

	d.drawAtClose(ctx, add)
	d.recovering.Wait()
	d.proveGoals(add)

	fig("rehearsal_attendees", d.cfg.Attendees)
	fig("rehearsal_claims", len(d.claims))
	fig("rehearsal_tweets_sent", d.tweets)
	fig("rehearsal_x_posts_stored", len(allTweets))
	fig("rehearsal_posts_indexed", len(tweetIDs))
	fig("rehearsal_retweets_stored", retweets)
	fig("rehearsal_gives_seen", given+undone)
	fig("rehearsal_gives_refused", refused)
	fig("rehearsal_gives_unanswered", unknown)
	fig("rehearsal_undone", undone)
	fig("rehearsal_faults", len(d.faults))
	fig("rehearsal_es_bulk_requests", d.es.Requests("bulk"))
	fig("rehearsal_deletes_sent", len(d.deleted))
	d.clientFigures(fig)
	return o, nil
}

// clientFigures are the figures of what the clients saw and the instances used, which need no
// database: an interrupted day prints them too.
func (d *day) clientFigures(fig func(string, any)) {
	d.c.mu.Lock()
	defer d.c.mu.Unlock()
	fig("rehearsal_requests", d.c.sent)
	fig("rehearsal_5xx", len(d.c.five))
	for _, k := range []string{"claim", "give"} {
		all, n := p99(d.c.lat[k], [2]time.Time{})
		burst, bn := p99(d.c.lat[k], d.burst)
		fig("rehearsal_"+k+"_p99_ms", fmt.Sprintf("%.1f", all))
		fig("rehearsal_"+k+"_p99_max_ms", ms(map[string]time.Duration{"claim": d.cfg.Goals.ClaimP99, "give": d.cfg.Goals.GiveP99}[k]))
		fig("rehearsal_"+k+"_calls", n)
		fig("rehearsal_"+k+"_burst_p99_ms", fmt.Sprintf("%.1f", burst))
		fig("rehearsal_"+k+"_burst_calls", bn)
	}
	for i, in := range d.instances {
		fig("rehearsal_instance_"+in.name+"_peak_rss_mb", d.peak[i].rssKB/1024)
		fig("rehearsal_instance_"+in.name+"_peak_rss_max_mb", d.cfg.Goals.RSSMB)
		fig("rehearsal_instance_"+in.name+"_peak_open_files", d.peak[i].files)
	}
	d.mu.Lock()
	for _, r := range d.recovery {
		fig("rehearsal_recovery_"+r.what+"_s", fmt.Sprintf("%.1f", r.s))
		fig("rehearsal_recovery_"+r.what+"_max_s", d.cfg.Goals.recoveryGoal(r.what).Seconds())
	}
	d.mu.Unlock()
	fig("rehearsal_day_s", fmt.Sprintf("%.0f", d.dayLength.Seconds()))
	fig("rehearsal_requests_per_s", fmt.Sprintf("%.0f", float64(d.c.sent)/d.dayLength.Seconds()))
}

// interrupted is what a day cut short (Ctrl-C) has to show: the figures so far and the faults
// played. Its proofs need the whole day, so one failed proof says it was cut short.
func (d *day) interrupted() *Outcome {
	d.mu.Lock()
	o := &Outcome{Faults: slices.Clone(d.faults)}
	o.Proofs = []Proof{{"day_played_to_the_end", false, fmt.Sprintf("interrupted after %.0f s of %.0f s; %d claims, %d gives seen; faults played: %s",
		d.dayLength.Seconds(), (time.Duration(d.cfg.Minutes) * d.minute()).Seconds(), len(d.claims), len(d.gives), strings.Join(d.faults, "; "))}}
	d.mu.Unlock()
	d.clientFigures(func(k string, v any) { o.Figures = append(o.Figures, [2]string{k, fmt.Sprint(v)}) })
	return o
}

func first(s []string, n int) []string { return s[:min(len(s), n)] }

func within(t time.Time, windows [][2]time.Time) bool {
	for _, w := range windows {
		if !t.Before(w[0]) && !t.After(w[1]) {
			return true
		}
	}
	return false
}

// p99 is the 99th percentile latency in ms of the calls started inside w (all of them when w is
// zero), and how many there were.
func p99(lat []latency, w [2]time.Time) (float64, int) {
	var ms []float64
	for _, l := range lat {
		if w[0].IsZero() || within(l.at, [][2]time.Time{w}) {
			ms = append(ms, l.ms)
		}
	}
	if len(ms) == 0 {
		return 0, 0
	}
	slices.Sort(ms)
	return ms[min(len(ms)-1, len(ms)*99/100)], len(ms)
}

type claimState struct {
	status, by        string
	verified, givenAt *time.Time
}

// proveLive: every attendee's open claim page ends showing the claim's status in the database
// (verified, given, or pending again after an undo); figures say how soon each change arrived.
func (d *day) proveLive(ctx context.Context, add func(string, bool, string, ...any), fig func(string, any)) {
	defer d.stopLive()
	rows, err := d.pool.Query(ctx, proofs["claim_states"], slug)
	if err != nil {
		add("claim_pages_live", false, "reading claims: %v", err)
		return
	}
	states := map[int64]claimState{}
	for rows.Next() {
		var id int64
		var s claimState
		if err := rows.Scan(&id, &s.status, &s.by, &s.verified, &s.givenAt); err == nil {
			states[id] = s
		}
	}
	rows.Close()
	behind := func() (n int, example string) {
		for i, l := range d.lives {
			if st := states[d.claims[i].ID].status; l.status() != st {
				n++
				example = handle(i) + " shows " + l.status() + ", database " + st
			}
		}
		return n, example
	}
	settle(ctx, 30*time.Second, func() bool { n, _ := behind(); return n == 0 })
	n, example := behind()
	var toVerified, toGiven []latency
	for i, l := range d.lives {
		s := states[d.claims[i].ID]
		l.mu.Lock()
		if at, ok := l.seen["verified"]; ok && s.verified != nil && !at.Before(*s.verified) {
			toVerified = append(toVerified, latency{at, float64(at.Sub(*s.verified).Microseconds()) / 1000})
		}
		if at, ok := l.seen["given"]; ok && s.givenAt != nil && !at.Before(*s.givenAt) {
			toGiven = append(toGiven, latency{at, float64(at.Sub(*s.givenAt).Microseconds()) / 1000})
		}
		l.mu.Unlock()
	}
	// Staff decisions on other networks' claims stand: approved ones verified by staff (or given
	// since), rejected ones rejected.
	wrong := 0
	for id, action := range d.decided {
		s := states[id]
		switch {
		case action == "approve" && (s.status == "verified" || s.status == "given") && s.by == "staff":
		case action == "reject" && s.status == "rejected":
		default:
			wrong++
		}
	}
	add("staff_decisions_stand", wrong == 0 && d.others > 0 && len(d.decided) > 0,
		"%d claims for other networks' posts; %d decided by staff; %d not as decided", d.others, len(d.decided), wrong)
	add("claim_pages_live", n == 0 && len(d.lives) > 0, "%d claim pages followed; %d not showing the database's status %s",
		len(d.lives), n, example)
	v, vn := p99(toVerified, [2]time.Time{})
	g, gn := p99(toGiven, [2]time.Time{})
	d.pageP99 = [2]float64{v, g}
	fig("rehearsal_claim_pages", len(d.lives))
	fig("rehearsal_page_verified_p99_ms", fmt.Sprintf("%.1f", v))
	fig("rehearsal_page_verified_seen", vn)
	fig("rehearsal_page_given_p99_ms", fmt.Sprintf("%.1f", g))
	fig("rehearsal_page_given_seen", gn)
	fig("rehearsal_page_p99_max_ms", ms(d.cfg.Goals.PageP99))
}
