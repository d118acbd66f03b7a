package rehearsal

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/boothgiveaway/giveaway/internal/bluesky/blueskytest"
	"github.com/boothgiveaway/giveaway/internal/xstream/xtest"
)

// stream: posts through the X stream double at the day's rate, the keynote minute at 5×; some
// duplicates, retweets, Korean and full-width hashtags.
func (d *day) stream(end time.Time) {
	start := time.Now()
	// The keynote lets out as PostgreSQL restarts (faults.go): the burst meets the fault.
	keynote := d.cfg.Minutes * 62 / 100
	burst := false
	next := int64(1_800_000_000_000_000_000)
	var originals, sent []string
	retweets := map[string]int{} // original's line → its retweets sent
	// A minute that fell behind (no reader took the stream for a while) is cut short: the clock,
	// not the count of minutes, says which minute it is.
	for m := 0; time.Now().Before(end); m = max(m+1, int(time.Since(start)/d.minute())) {
		n := d.cfg.TweetsPerMinute
		minuteEnd := start.Add(time.Duration(m+1) * d.minute())
		if m >= keynote && !burst {
			burst = true
			n *= 5
			minuteEnd = time.Now().Add(d.minute())
			d.mu.Lock()
			d.burst = [2]time.Time{time.Now(), minuteEnd}
			d.mu.Unlock()
		}
		for k := 0; k < n; k++ {
			i := rand.IntN(max(d.cfg.Attendees, 1))
			next++
			id := fmt.Sprint(next)
			if k%17 == 5 && k%2 == 1 && poster(i) {
				// A viral post: the author's push tool sends it through the ingest API at the
				// moment a retweeter's sends its first retweet to the other instance, so the two
				// batches store the original and raise its count at once.
				next++
				rid := fmt.Sprint(next)
				line := xtest.Post(id, handle(i), "Great talk at the booth #PyConAPAC #Elastic")
				retweets[line] = 1
				originals = append(originals, line)
				sent = append(sent, id, rid)
				d.mu.Lock()
				d.posted = append(d.posted, streamed{id, time.Now()}, streamed{rid, time.Now()})
				d.mu.Unlock()
				d.pushTogether(k, line, refer(rid, handle(i+1), "retweeted", line, "", 1))
				time.Sleep(time.Until(minuteEnd) / time.Duration(n-k+1))
				continue
			}
			var line string
			switch {
			case k%29 == 11 && len(sent) > 0: // the author deletes an earlier post
				gone := sent[rand.IntN(len(sent))]
				d.send(fmt.Sprintf(`{"delete":{"status":{"id":%s,"id_str":%q}}}`, gone, gone))
				d.mu.Lock()
				d.deleted = append(d.deleted, streamed{gone, time.Now()})
				d.mu.Unlock()
				continue
			case k%17 == 5 && len(originals) > 0: // a plain retweet of someone's eligible post: counts for no one
				// Each carries the original's retweet count as X does: its retweets sent so far.
				original := originals[rand.IntN(len(originals))]
				retweets[original]++
				line = refer(id, handle(i+1), "retweeted", original, "", retweets[original])
			case k%19 == 3 && len(originals) > 0: // a quote tweet: only its own text's hashtags count
				own := "me too!"
				if poster(i) {
					own = "me too #PyConAPAC #Elastic"
				}
				line = refer(id, handle(i), "quoted", originals[rand.IntN(len(originals))], own, 0)
			case poster(i) && k%5 == 1:
				line = xtest.Post(id, handle(i), "부스에서 티셔츠 받았어요 #PyConAPAC #Elastic #파이콘")
			case poster(i) && k%5 == 2:
				line = xtest.Post(id, handle(i), "full-width tags ＃ＰｙＣｏｎＡＰＡＣ ＃ＥＬＡＳＴＩＣ")
			case poster(i):
				line = xtest.Post(id, handle(i), "Great talk at the booth #PyConAPAC #Elastic <script>alert(1)</script>")
			default:
				line = xtest.Post(id, handle(i), "Only one tag #PyConAPAC")
			}
			if poster(i) {
				originals = append(originals, line)
			}
			if k%4 == 0 { // the same crowd on Mastodon: streamed, and read back from the timeline after a gap
				text := "Only one tag #PyConAPAC"
				if poster(i) {
					text = "Mastodon에서도 #PyConAPAC #Elastic"
				}
				d.masto.Publish(d.masto.Toot(handle(i), text))
				if poster(i) { // the source keeps only posts with every required hashtag
					d.mu.Lock()
					d.toots++
					d.mu.Unlock()
				}
			}
			if k%4 == 2 { // and on Bluesky, replayed from the Jetstream cursor after a gap
				tags := []string{"PyConAPAC"}
				if poster(i) {
					tags = append(tags, "Elastic")
				}
				text := "블루스카이 #" + strings.Join(tags, " #")
				d.sky.SetProfile(did(i), handle(i)+".bsky.social")
				d.sky.Push(blueskytest.Create(did(i), "r"+id, blueskytest.Post{Type: "app.bsky.feed.post",
					CreatedAt: time.Now().UTC().Format(time.RFC3339Nano), Text: text, Langs: []string{"ko"},
					Facets: blueskytest.TagFacets(text, tags...)}))
				if poster(i) {
					d.mu.Lock()
					d.skeets++
					d.mu.Unlock()
				}
			}
			sent = append(sent, id)
			d.mu.Lock()
			d.posted = append(d.posted, streamed{id, time.Now()})
			d.mu.Unlock()
			d.send(line)
			if k%23 == 7 {
				d.send(line) // X delivers some posts twice
			}
			time.Sleep(time.Until(minuteEnd) / time.Duration(n-k+1))
		}
		time.Sleep(time.Until(minuteEnd))
	}
}

// send delivers a line to whichever instance holds the stream; while none does (the reader's
// instance was killed and the other has not taken over yet) it waits, as X's backfill would fill in.
func (d *day) send(line string) {
	for try := 0; !d.x.Send(line); try++ {
		if try == 600 {
			d.expect("an instance reads the X stream within 30 s", false)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.mu.Lock()
	d.tweets++
	d.mu.Unlock()
}

// pushTogether sends lines through the ingest API at once, each to its own instance, as push
// tools would, each retrying a dropped answer or a 5xx (PostgreSQL restarting) on the other
// instance: a post is stored once however often it is sent.
func (d *day) pushTogether(k int, lines ...string) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for j, line := range lines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var a answer
			for try := 0; try < 20; try++ {
				a = d.c.do("POST", d.inst(k+j+try).base()+"/api/v1/ingest/tweets", []byte(line), "Authorization", "Bearer "+ingestToken)
				if a.Status != 0 && a.Status < 500 {
					break
				}
				time.Sleep(d.minute() / 10)
			}
			d.expect(fmt.Sprintf("a post pushed to the ingest API is taken: %d %s", a.Status, a.Body), a.Status == 200)
			d.mu.Lock()
			d.tweets++
			d.mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
}

// refer makes a post by username that retweets or quotes (kind) an earlier post's stream line; a
// retweet's text is X's "RT @author: text", a quote's is its own. A retweet includes the original
// with its retweet count (retweets > 0), as X's expansions do.
func refer(id, username, kind, original, own string, retweets int) string {
	var o struct {
		Data struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"data"`
		Includes struct {
			Users []struct{ Username string } `json:"users"`
		} `json:"includes"`
	}
	json.Unmarshal([]byte(original), &o)
	text := own
	if kind == "retweeted" && len(o.Includes.Users) > 0 {
		text = "RT @" + o.Includes.Users[0].Username + ": " + o.Data.Text
	}
	var m map[string]any
	json.Unmarshal([]byte(xtest.Post(id, username, text)), &m)
	m["data"].(map[string]any)["referenced_tweets"] = []map[string]string{{"type": kind, "id": o.Data.ID}}
	if retweets > 0 {
		var orig map[string]any
		json.Unmarshal([]byte(original), &orig)
		data := orig["data"].(map[string]any)
		data["public_metrics"] = map[string]int{"retweet_count": retweets}
		m["includes"].(map[string]any)["tweets"] = []any{data}
	}
	b, _ := json.Marshal(m)
	return string(b)
}
