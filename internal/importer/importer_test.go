package importer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/importer"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

func logstash(id, user, text string) string {
	return fmt.Sprintf(`{"@timestamp":"2016-08-13T07:15:30.000Z","@version":"1","message":%q,"user":%q,"source":"http://twitter.com/%s/status/%s"}`,
		text, user, user, id)
}

func v1(id, user, text string) string {
	return fmt.Sprintf(`{"id_str":%q,"created_at":"Sat Aug 13 03:12:45 +0000 2016","text":%q,"user":{"id_str":"9%s","screen_name":%q}}`,
		id, text, id, user)
}

func v2(id, user, text string) string {
	return fmt.Sprintf(`{"data":{"id":%q,"text":%q,"author_id":"9%s","created_at":"2016-08-13T03:12:45.000Z","edit_history_tweet_ids":[%q]},"includes":{"users":[{"id":"9%s","username":%q}]},"matching_rules":[{"id":"1","tag":"giveaway:x:any"}]}`,
		id, text, id, id, id, user)
}

// event is a log as a Logstash pipeline might leave it: three shapes, a blank line, a
// duplicate, two broken lines, a delete, and no newline at the end.
var event = strings.Join([]string{
	logstash("764360000000000001", "alice", "hi #PyConAPAC #Elastic"), // 1
	v1("764360000000000002", "bob", "me too #PyConAPAC #Elastic"),     // 2
	"",                                   // 3 blank
	`{"message":"cut off by a full disk`, // 4 bad
	logstash("764360000000000001", "alice", "hi #PyConAPAC #Elastic"), // 5 duplicate of 1
	v2("764360000000000006", "carol", "#PyConAPAC #Elastic 🎉"),        // 6
	`not json at all`, // 7 bad
	`{"delete":{"status":{"id_str":"764360000000000002","user_id_str":"9764360000000000002"},"timestamp_ms":"1471070000000"}}`, // 8
	logstash("764360000000000009", "dave", "last one #Elastic"),                                                                // 9, no newline after
}, "\n")

// store is a sink that keeps each post once, like the real ingest path.
type store struct {
	mu      sync.Mutex
	ids     []string
	deletes []string
	batches []int
	failAt  int // the failAt-th call fails (1-based), once
	calls   int
}

func (s *store) sink(_ context.Context, items []tweet.Item) (stored, dups int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls == s.failAt {
		return 0, 0, errors.New("database went away")
	}
	s.batches = append(s.batches, len(items))
	for _, it := range items {
		switch {
		case it.Delete != nil:
			s.deletes = append(s.deletes, it.Delete.ID)
		case slices.Contains(s.ids, it.Post.ID):
			dups++
		default:
			s.ids = append(s.ids, it.Post.ID)
			stored++
		}
	}
	return stored, dups, nil
}

func writeFile(t *testing.T, name, content string, gz bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	var b bytes.Buffer
	if gz {
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(content))
		zw.Close()
	} else {
		b.WriteString(content)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func checkEventSummary(t *testing.T, sum importer.Summary, path string) {
	t.Helper()
	want := importer.Summary{Files: 1, Lines: 9, Blank: 1, Posts: 5, Deletes: 1, Imported: 4, Duplicates: 1,
		Bad: 2, Done: 9, AfterIDFound: true}
	got := sum
	got.BadLines, got.Elapsed = nil, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("summary\n%+v\nwant\n%+v", got, want)
	}
	var lines []int64
	for _, b := range sum.BadLines {
		if b.File != path || b.Err == "" {
			t.Errorf("bad line %+v", b)
		}
		lines = append(lines, b.Line)
	}
	if !slices.Equal(lines, []int64{4, 7}) {
		t.Errorf("bad lines %v, want [4 7]", lines)
	}
}

func TestImportCountsGoodDuplicateAndBrokenLines(t *testing.T) {
	path := writeFile(t, "twitter.log", event, false)
	st := &store{}
	sum, err := importer.Import(context.Background(), st.sink, []string{path}, importer.Options{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkEventSummary(t, sum, path)
	if want := []string{"764360000000000001", "764360000000000002", "764360000000000006", "764360000000000009"}; !slices.Equal(st.ids, want) {
		t.Errorf("stored %v, want %v", st.ids, want)
	}
	if !slices.Equal(st.deletes, []string{"764360000000000002"}) {
		t.Errorf("deletes %v", st.deletes)
	}
	if !slices.Equal(st.batches, []int{2, 2, 2}) {
		t.Errorf("batches %v, want [2 2 2]", st.batches)
	}

	var out bytes.Buffer
	sum.Write(&out, nil)
	for _, want := range []string{"lines 9: imported 4, duplicates 1, deletes 1, bad 2", path + ":4: ", path + ":7: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary text lacks %q:\n%s", want, out.String())
		}
	}

	// Idempotent: a second run stores nothing new.
	sum, err = importer.Import(context.Background(), st.sink, []string{path}, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 0 || sum.Duplicates != 5 {
		t.Errorf("second run: imported %d, duplicates %d; want 0 and 5", sum.Imported, sum.Duplicates)
	}
}

func TestImportGzipByContent(t *testing.T) {
	for _, name := range []string{"twitter.log.gz", "twitter.log"} { // the name does not decide
		path := writeFile(t, name, event, true)
		st := &store{}
		sum, err := importer.Import(context.Background(), st.sink, []string{path}, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkEventSummary(t, sum, path)
	}
}

func TestImportResumesAfterAFailure(t *testing.T) {
	path := writeFile(t, "twitter.log", event, false)
	st := &store{failAt: 2}
	sum, err := importer.Import(context.Background(), st.sink, []string{path}, importer.Options{BatchSize: 2})
	if err == nil {
		t.Fatal("no error from a failing sink")
	}
	// The first batch (lines 1 and 2) went in; the second (lines 5 and 6) failed.
	if sum.Done != 2 {
		t.Fatalf("done %d, want 2", sum.Done)
	}
	var out bytes.Buffer
	sum.Write(&out, err)
	if !strings.Contains(out.String(), "--skip 2") {
		t.Errorf("no resume hint:\n%s", out.String())
	}
	sum, err = importer.Import(context.Background(), st.sink, []string{path}, importer.Options{BatchSize: 2, Skip: sum.Done})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 2 || sum.Imported != 2 || sum.Duplicates != 1 || sum.Bad != 2 {
		t.Errorf("resumed: %+v", sum)
	}
	if len(st.ids) != 4 {
		t.Errorf("stored %v, want all 4 posts", st.ids)
	}
}

func TestImportSkipCountsOverFiles(t *testing.T) {
	a := writeFile(t, "a.log", v1("1", "a", "#x")+"\n"+v1("2", "a", "#x")+"\n", false)
	b := writeFile(t, "b.log", v1("3", "b", "#x")+"\n"+v1("4", "b", "#x")+"\n", true)
	st := &store{}
	sum, err := importer.Import(context.Background(), st.sink, []string{a, b}, importer.Options{Skip: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.ids, []string{"4"}) || sum.Lines != 4 || sum.Skipped != 3 || sum.Files != 2 {
		t.Errorf("stored %v, summary %+v", st.ids, sum)
	}
}

func TestImportAfterID(t *testing.T) {
	path := writeFile(t, "twitter.log", event, false)
	st := &store{}
	sum, err := importer.Import(context.Background(), st.sink, []string{path},
		importer.Options{AfterID: "764360000000000006"})
	if err != nil {
		t.Fatal(err)
	}
	// Lines 1 to 6 are skipped, the bad line 4 with them; 7 is bad, 8 a delete, 9 a post.
	if sum.Skipped != 6 || sum.Bad != 1 || sum.Deletes != 1 || sum.Imported != 1 || !slices.Equal(st.ids, []string{"764360000000000009"}) {
		t.Errorf("stored %v, summary %+v", st.ids, sum)
	}

	st = &store{}
	_, err = importer.Import(context.Background(), st.sink, []string{path}, importer.Options{AfterID: "404"})
	if !errors.Is(err, importer.ErrAfterIDNotFound) || len(st.ids) != 0 {
		t.Errorf("unknown id: err %v, stored %v", err, st.ids)
	}
}

func TestImportListsTheFirst20BadLines(t *testing.T) {
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, "garbage %d\n", i)
	}
	b.WriteString(v1("1", "a", "#x") + "\n")
	path := writeFile(t, "bad.log", b.String(), false)
	st := &store{}
	sum, err := importer.Import(context.Background(), st.sink, []string{path}, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Bad != 25 || len(sum.BadLines) != 20 || sum.BadLines[19].Line != 20 || sum.Imported != 1 {
		t.Errorf("bad %d, listed %d, imported %d", sum.Bad, len(sum.BadLines), sum.Imported)
	}
}

func TestImportDrawsProgressOnlyWhenAsked(t *testing.T) {
	path := writeFile(t, "twitter.log", event, false)
	var bar bytes.Buffer
	if _, err := importer.Import(context.Background(), (&store{}).sink, []string{path}, importer.Options{Progress: &bar}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bar.String(), "importing") {
		t.Errorf("no progress bar drawn: %q", bar.String())
	}
}

func TestImportReadsStdin(t *testing.T) {
	st := &store{}
	sum, err := importer.Import(context.Background(), st.sink, []string{"-"},
		importer.Options{Stdin: strings.NewReader(event)})
	if err != nil {
		t.Fatal(err)
	}
	checkEventSummary(t, sum, "-")
}
