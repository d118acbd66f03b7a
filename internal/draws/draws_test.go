package draws

import (
	"github.com/boothgiveaway/giveaway/internal/store"
	"slices"
	"strings"
	"testing"
)

// Entry ids are sorted, unique, 16 of [a-z2-7], the same for a claim under one key and unrelated
// under another.
func TestPoolEntries(t *testing.T) {
	claims := make([]int64, 10001)
	for i := range claims {
		claims[i] = int64(i + 1)
	}
	key := []byte(strings.Repeat("k", 32))
	got := poolEntries(key, claims)
	if len(got) != len(claims) || !slices.IsSortedFunc(got, func(a, b store.InsertDrawEntriesParams) int { return strings.Compare(a.EntryID, b.EntryID) }) {
		t.Fatal("entries are not sorted or some are missing")
	}
	seen := map[int64]bool{}
	for i, e := range got {
		if len(e.EntryID) != 16 || strings.Trim(e.EntryID, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("entry id %q", e.EntryID)
		}
		if i > 0 && got[i-1].EntryID == e.EntryID || seen[e.ClaimID] {
			t.Fatalf("a repeated entry: %v", e)
		}
		seen[e.ClaimID] = true
		if entryID(key, e.ClaimID) != e.EntryID {
			t.Fatalf("claim %d: entry %s, recomputed %s", e.ClaimID, e.EntryID, entryID(key, e.ClaimID))
		}
	}
	if entryID([]byte(strings.Repeat("j", 32)), 1) == entryID(key, 1) {
		t.Fatal("another draw's key gives the same entry id")
	}
}
